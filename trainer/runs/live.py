"""Live feedback while a run trains in a Jupyter notebook: tqdm.auto's progress bar, and one figure of
the losses and metrics redrawn in place (an IPython display handle, so no images pile up).

`trainer.train(..., progress=...)` chooses: "auto" (the default: the bar and the figure in a
notebook, the terminal's bar elsewhere), "bar", "plot" or False. Nothing of the notebook's feedback
runs outside a Jupyter kernel: not in a terminal, not in a subprocess (IPython is not even imported).
The figure is redrawn at an epoch's end once `every_seconds` have passed since the last drawing (and
four times as long as that drawing took, so drawing never takes more than a fifth of the time), and
at the end: on short epochs it costs a drawing every few seconds, not one per epoch, and a run shorter
than that one drawing in all.
"""

import base64
import io
import math
import sys
import time

from matplotlib.figure import Figure

from trainer.contracts import Callback, LoopState
from trainer.errors import UserError
from trainer.runs.plots import scale_loss_axis
from trainer.training.callbacks import ProgressBar


def in_notebook() -> bool:
    """True in a Jupyter kernel (IPython's kernel app), False in a terminal, IPython's console or a script."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and "IPKernelApp" in shell.config


def feedback(progress) -> tuple[list[Callback], bool]:
    """(the notebook's feedback callbacks, whether to show the terminal's bar) for `progress`."""
    if progress is True:
        progress = "auto"
    if progress is not False and progress not in ("auto", "bar", "plot"):
        raise UserError(f'progress should be "auto", "bar", "plot" or False; got {progress!r}.')
    if progress is False:
        return [], False
    if not in_notebook():
        return [], progress in ("auto", "bar")
    callbacks: list[Callback] = []
    if progress in ("auto", "bar"):
        callbacks.append(ProgressBar(notebook=True))
    if progress in ("auto", "plot"):
        callbacks.append(LivePlot())
    return callbacks, False


def png_bytes(figure: Figure, dpi: int = 80) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def img_tag(figure: Figure) -> str:
    """The figure as an HTML <img>, its PNG inline: how a notebook shows a run's or a comparison's figures."""
    return f'<img src="data:image/png;base64,{base64.b64encode(png_bytes(figure)).decode()}"/>'


class LivePlot(Callback):
    """The training and validation loss (left) and the validation metrics (right) of every epoch so
    far, in one output of the notebook that each drawing replaces."""

    def __init__(self, every_seconds: float = 2.0):
        self.every_seconds = every_seconds
        self.drawings = 0
        self.seconds_drawing = 0.0  # what the figure cost the run, for the docs' measurement
        self.last_cost = 0.0  # seconds the last drawing took

    def on_train_begin(self, state: LoopState) -> None:
        from IPython.display import HTML, display

        self.figure = Figure(figsize=(9, 3.4))
        self.figure.subplots_adjust(left=0.08, right=0.98, bottom=0.15, top=0.9, wspace=0.25)
        # a line of text until the first drawing: a run shorter than `every_seconds` is drawn once, at its end
        self.handle = display(HTML("<i>training: the loss curves appear here</i>"), display_id=True)
        self.last_drawn = time.perf_counter()

    def on_epoch_end(self, state: LoopState, logs: dict) -> None:
        if time.perf_counter() - self.last_drawn >= max(self.every_seconds, 4 * self.last_cost):
            self._redraw(state.history + [logs])  # this epoch's logs join state.history after the hooks

    def on_train_end(self, state: LoopState) -> None:
        self._redraw(state.history)

    def _redraw(self, history: list[dict]) -> None:
        self.handle.update(self._image(history))
        self.last_drawn = time.perf_counter()

    def _image(self, history: list[dict]):
        from IPython.display import Image

        started = time.perf_counter()
        self.figure.clear()
        loss_axes, metric_axes = self.figure.subplots(1, 2)
        epochs = [logs["epoch"] for logs in history]
        for key, style in (("train_loss", "o-"), ("val_loss", "s-")):
            values = [_number(logs.get(key)) for logs in history]
            if any(math.isfinite(v) for v in values):
                loss_axes.plot(epochs, values, style, ms=3, label=key.replace("_", " "))
        losses = [_number(logs.get("train_loss")) for logs in history]
        if losses:
            scale_loss_axis(loss_axes, losses, start=losses[0])
        metrics = [
            key for key in (history[-1] if history else {}) if key.startswith("val_") and key != "val_loss"
        ]
        for key in metrics:
            metric_axes.plot(epochs, [_number(logs.get(key)) for logs in history], "o-", ms=3, label=key)
        loss_axes.set(xlabel="epoch", ylabel="loss", title=f"loss, epoch {epochs[-1] if epochs else 0}")
        metric_axes.set(xlabel="epoch", title="validation metrics" if metrics else "no validation metrics")
        for axes in (loss_axes, metric_axes):
            axes.grid(True, alpha=0.3)
            if axes.lines:
                axes.legend(fontsize=8)
        image = Image(data=png_bytes(self.figure))
        self.last_cost = time.perf_counter() - started
        self.drawings += 1
        self.seconds_drawing += self.last_cost
        return image


def _number(value) -> float:
    return math.nan if value is None else float(value)
