"""What the gradients and the loss curve say about the learning rate.

- `Diagnostics`, a callback (config `trainer.diagnostics: true`): per epoch and parameter, the
  gradient norm and the update-to-weight ratio |w_new - w_old| / |w_old|, in diagnostics.csv,
  drawn in diagnostics.png. A ratio far above ~1e-3 means steps that throw the weights around;
  far below, weights that hardly move.
- `learning_rate_warnings`: from the epoch losses, a warning when the loss oscillates, diverges,
  plateaus early, barely falls or is still falling fast at the end, each with a concrete learning
  rate to try.
- `overfitting_warnings`: when the validation loss climbs while the training loss keeps falling.
"""

import math
from pathlib import Path

import mygrad as mg
import numpy as np

from trainer.contracts import Callback, LoopState
from trainer.training.callbacks import keep_rows

RISE = 0.10  # an epoch whose loss is 10% above the previous one's counts as a rise

JITTER = 0.01  # a plateau whose epoch losses vary by more than 1% (relative std) is held up by noise

# a rise that counts towards oscillation is also this share of how far the loss fell in the whole run:
# near the floor, mini-batch noise makes small relative rises that say nothing about the learning rate
SIZABLE = 0.05

FALLING = 0.8  # a loss whose last quarter is below 80% of where its plateau began has not plateaued

EXHAUSTED = 1e-12  # a loss this small a share of its start has nothing left to gain (1e-30 on exact data)

BARELY = 0.5  # a run whose loss ends above half its first epoch's barely learned

# overfitting: the validation loss ends this far above its (smoothed) lowest, and by this many times
# its typical epoch-to-epoch change, so that noise around a flat validation loss does not count
OVERFIT_RISE = 0.10
OVERFIT_NOISE = 4


class Diagnostics(Callback):
    """diagnostics.csv: epoch, parameter, grad_norm, update_ratio.

    grad_norm is the mean over the epoch's steps of |dL/dw| (one dot product per parameter per step,
    about as costly as the optimizer's own update); the mean, not the last step, because a single
    mini-batch gradient is noisy. update_ratio is measured on the epoch's last step only: it needs a
    copy of the weights from before the update, and one copy an epoch costs nothing per step.
    """

    def __init__(self, folder: Path):
        self.path = folder / "diagnostics.csv"
        self.sums: list[float] = []  # per parameter: the gradient norms of this epoch's steps so far, summed
        self.steps = 0

    def on_train_begin(self, state: LoopState) -> None:
        self.names = parameter_names(state.model)
        self.sums = self.sums or [0.0] * len(self.names)  # kept when a checkpoint restored them
        # a resumed run redoes the epochs after its checkpoint: drop the rows it wrote for them
        keep_rows(self.path, "epoch,parameter,grad_norm,update_ratio", len(state.history))

    def state_dict(self) -> dict:
        return {"sums": list(self.sums), "steps": self.steps}

    def load_state_dict(self, saved: dict) -> None:
        self.sums, self.steps = list(saved["sums"]), saved["steps"]

    def on_before_update(self, state: LoopState) -> None:
        parameters = state.model.parameters
        for number, p in enumerate(parameters):
            if p.grad is not None:
                self.sums[number] += math.sqrt(np.vdot(p.grad, p.grad).real)
        self.steps += 1
        if (
            state.batch_in_epoch == state.steps_per_epoch - 1
        ):  # the epoch's last step: keep the weights it starts from
            self.before = [p.data.copy() for p in parameters]

    def on_epoch_end(self, state: LoopState, logs: dict) -> None:
        rows = []
        for name, total, p, before in zip(self.names, self.sums, state.model.parameters, self.before):
            weight = np.linalg.norm(before)
            ratio = np.linalg.norm(p.data - before) / weight if weight > 0 else math.nan
            rows.append(
                f"{state.epoch},{name},{total / max(self.steps, 1)!r},{'' if math.isnan(ratio) else repr(float(ratio))}\n"
            )
        with open(self.path, "a") as file:
            file.writelines(rows)
        self.sums = [0.0] * len(self.names)
        self.steps = 0


def parameter_names(model) -> list[str]:
    """The model's attribute name for each parameter (weight, bias, ...), else its position; a model
    that names its parameters itself (`parameter_names`, as a sequential model does) is taken at its word."""
    if isinstance(names := getattr(model, "parameter_names", None), list):
        return names
    by_identity = {id(value): key for key, value in vars(model).items() if isinstance(value, mg.Tensor)}
    return [by_identity.get(id(p), f"parameter {number}") for number, p in enumerate(model.parameters)]


def learning_rate_warnings(losses: list[float], lr: float | None) -> list[str]:
    """Warnings about the learning rate from the training loss of each epoch (empty when all looks well)."""

    def smaller(factor):
        return f"try lr {lr / factor:.3g}" if lr else f"try a learning rate {factor} times smaller"

    epochs = len(losses)
    if epochs < 4:
        return []
    if not all(map(math.isfinite, losses)):
        return [
            f"the training loss became {next(v for v in losses if not math.isfinite(v))}: the steps are far too large; {smaller(10)}."
        ]
    transitions = epochs - 2  # from the second epoch on: the first one starts from untrained weights
    sizable = SIZABLE * (losses[0] - min(losses))
    rises = sum(
        after > (1 + RISE) * before and after - before > sizable
        for before, after in zip(losses[1:], losses[2:])
    )
    if 2 <= rises and transitions / 5 <= rises < 0.75 * transitions:  # up and down, not only up
        return [
            f"the training loss oscillates: it rose by more than {RISE:.0%} in {rises} of {transitions} epochs after the first. "
            f"The steps overshoot the minimum; {smaller(3)}."
        ]
    if losses[-1] > losses[0]:
        return [
            f"the training loss grew from {losses[0]:.4g} to {losses[-1]:.4g}: the learning rate is too large; {smaller(10)}."
        ]
    if losses[-1] <= EXHAUSTED * losses[0]:
        return []  # at the minimum to within rounding
    last_quarter = losses[-max(2, epochs // 4) :]
    if losses[-1] > BARELY * losses[0]:
        larger = f"try lr {10 * lr:.3g}" if lr else "try a learning rate 10 times larger"
        return [
            f"the model barely learns: the training loss fell only {1 - losses[-1] / losses[0]:.0%} in {epochs} epochs "
            f"(from {losses[0]:.4g} to {losses[-1]:.4g}). The steps are too small to get far; {larger}, or train longer."
        ]
    if epochs < 8:
        return []
    level = max(losses[epochs // 2 :])  # the top of the band the loss ends in
    settled = next(epoch for epoch, loss in enumerate(losses, 1) if loss <= level)
    plateau = np.array(losses[settled - 1 :])
    jitter = _jitter(plateau)
    # a plateau: still noisy at the end (a schedule that lowered the learning rate lets the loss settle),
    # and not falling on through the noise (medians: one spike of the loss does not make a plateau)
    still_falling = np.median(last_quarter) < FALLING * np.median(plateau[: len(plateau) // 4 + 1])
    if (
        settled <= epochs / 4
        and jitter > JITTER
        and _jitter(np.array(last_quarter)) > JITTER
        and not still_falling
    ):
        return [
            f"the training loss plateaued early: from epoch {settled} of {epochs} on it stays near {plateau.mean():.4g}, "
            f"varying by {jitter:.1%} from epoch to epoch. Mini-batch noise, larger with a larger learning rate, can hold "
            f"it there; {smaller(3)} to see whether it goes lower (or, if this is as low as it gets, train {settled} epochs)."
        ]
    if (
        all(after < before for before, after in zip(last_quarter, last_quarter[1:]))
        and last_quarter[-1] < 0.9 * last_quarter[0]
    ):
        larger = f"try lr {3 * lr:.3g}" if lr else "try a learning rate 3 times larger"
        return [
            f"the training loss is still falling fast at the end ({1 - last_quarter[-1] / last_quarter[0]:.0%} over the last "
            f"{len(last_quarter)} epochs): train for more epochs, or {larger}."
        ]
    return []


def _jitter(losses: np.ndarray) -> float:
    """The relative standard deviation of `losses`."""
    return float(losses.std() / abs(losses.mean())) if losses.mean() else 0.0


def overfitting_warnings(train_losses: list[float], val_losses: list[float]) -> list[str]:
    """A warning when the validation loss climbs clearly above its lowest while the training loss
    keeps falling: the model learns its training rows rather than what they have in common."""
    epochs = len(val_losses)
    if epochs < 8 or not all(map(math.isfinite, val_losses + train_losses)):
        return []
    window = max(3, epochs // 10)  # epochs averaged, so that one lucky epoch is not the lowest point
    smoothed = np.convolve(val_losses, np.ones(window) / window, mode="valid")
    lowest = int(smoothed.argmin())  # the window starting at epoch lowest + 1
    best_epoch = lowest + int(np.argmin(val_losses[lowest : lowest + window])) + 1
    rise = smoothed[-1] - smoothed[lowest]
    noise = float(np.median(np.abs(np.diff(val_losses[lowest:]))))
    if rise <= OVERFIT_RISE * smoothed[lowest] or rise <= OVERFIT_NOISE * noise:
        return []
    if not np.mean(train_losses[-window:]) < np.mean(train_losses[lowest : lowest + window]):
        return []  # both rise: not overfitting (learning_rate_warnings speaks of that)
    return [
        f"the model overfits: the validation loss rose from {smoothed[lowest]:.4g} around epoch {best_epoch} to "
        f"{smoothed[-1]:.4g} at the end while the training loss kept falling; it learns the training rows rather than "
        f"the pattern. Stop near epoch {best_epoch} (trainer.early_stopping restores the best epoch), or add "
        f"regularization (regularization.l2, or dropout)."
    ]
