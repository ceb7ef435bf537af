"""The handle of a run, what `trainer.train` returns and `trainer.load_run` gives back: a student's
way into a run from Python or a notebook.

    run = trainer.train("configs/logreg.yaml")
    run.predict(X_new), run.predict_proba(X_new)   # rows in the data's own units
    run.evaluate("test"), run.history[-1], run.history_frame()
    run.plot()["loss"]                             # matplotlib Figures (drawn without pyplot)
    run                                            # in a notebook: a summary table with the folder
"""

import html
import json
import math
from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure

from trainer.errors import UserError
from trainer.nn.metrics import class_probabilities
from trainer.nn.metrics import predict as raw_outputs
from trainer.runs.evaluate import LoadedRun, load_run
from trainer.runs.live import img_tag
from trainer.runs.plots import diagnostics_figure, loss_figure, model_figure
from trainer.training.callbacks import read_log


class Figures(dict[str, Figure]):
    """A run's figures by name (loss, fit or decision_boundary, diagnostics); a notebook shows them all."""

    def _repr_html_(self) -> str:
        return "".join(
            f'<figure style="display:inline-block">{img_tag(f)}<figcaption>{html.escape(name)}</figcaption></figure>'
            for name, f in self.items()
        )


@dataclass
class Run(LoadedRun):
    """A run: its folder, config, rebuilt experiment and model, the logs of every epoch (`history`)
    and its `summary` (as in summary.json). `checkpoint` says where the parameters came from: "trained"
    (as training left them), "best" or "last"."""

    history: list[dict]
    summary: dict

    def predict_proba(self, X) -> np.ndarray:
        """(N, K) probabilities of each class for rows in the data's own units (a classifier's)."""
        if self.experiment.task != "classification":
            raise UserError(
                f"predict_proba is for classifiers; the run {self.config.name} is a regression: use predict."
            )
        return class_probabilities(raw_outputs(self.model, self._scaled(X)))

    def plot(self) -> Figures:
        """The run's figures, drawn again from its logs: loss, the model (fit or decision_boundary,
        where two dimensions can show it) and diagnostics (with trainer.diagnostics: true)."""
        figures = Figures(loss=loss_figure(self.folder))
        drawn = model_figure(self.folder, self.experiment)
        if drawn is not None:
            figures[drawn[1].removesuffix(".png")] = drawn[0]
        if (self.folder / "diagnostics.csv").exists():
            figures["diagnostics"] = diagnostics_figure(self.folder)
        return figures

    def history_frame(self):
        """`history` as a pandas DataFrame, one row per epoch."""
        try:
            import pandas
        except ImportError:
            raise UserError(
                "history_frame needs pandas (pip install pandas); run.history is the same table as a list of dicts."
            ) from None
        return pandas.DataFrame(self.history).set_index("epoch") if self.history else pandas.DataFrame()

    def _repr_html_(self) -> str:
        rows = {"status": self.summary.get("status"), "epochs": self.summary.get("epochs_completed")}
        rows |= {
            key: value
            for key, value in self.summary.items()
            if key.startswith(("train_", "val_", "test_")) and isinstance(value, float)
        }
        rows |= {"seconds": self.summary.get("seconds"), "parameters from": self.checkpoint}
        cells = "".join(
            f"<tr><th style='text-align:left'>{html.escape(str(key))}</th><td>{html.escape(_shown(value))}</td></tr>"
            for key, value in rows.items()
        )
        return (
            f"<b>Run {html.escape(self.config.name)}</b> in <code>{html.escape(str(self.folder))}</code>"
            f"<table>{cells}</table>"
        )


def _shown(value) -> str:
    if isinstance(value, float):
        return f"{value:.5g}" if math.isfinite(value) else str(value)
    return "" if value is None else str(value)


def open_run(folder, which: str = "best") -> Run:
    """A run folder's model with the parameters of its `best` (or `last`) checkpoint, its history and summary."""
    loaded = load_run(folder, which)
    summary_path = loaded.folder / "summary.json"
    summary = json.loads(summary_path.read_text()) if summary_path.exists() else {}
    history = [
        {key: int(value) if key == "epoch" and value is not None else value for key, value in row.items()}
        for row in read_log(loaded.folder / "epochs.csv")
    ]
    return Run(loaded.folder, loaded.config, loaded.experiment, loaded.checkpoint, history, summary)
