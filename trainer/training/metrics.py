"""Metrics while training: each epoch the validation split is scored (`val_accuracy`, ... in
epochs.csv); at the end the test split (`test_accuracy`, ... in summary.json)."""

from trainer.contracts import Callback, LoopState
from trainer.nn.metrics import score


class EpochMetrics(Callback):
    """Adds `val_<metric>` to each epoch's logs (so to epochs.csv and the history)."""

    def __init__(self, names: list[str], task: str, val_split):
        self.names, self.task, self.val_split = names, task, val_split

    def on_epoch_end(self, state: LoopState, logs: dict) -> None:
        if self.val_split is not None and self.names:  # `metrics: []` predicts nothing
            logs.update(
                {
                    f"val_{name}": value
                    for name, value in score(self.names, self.task, state.model, self.val_split).items()
                }
            )


def final_scores(
    names: list[str], task: str, model, history: list[dict], test_split
) -> dict[str, float | None]:
    """For summary.json: the last epoch's validation scores and the test split's; each key is there
    even when its split is not (null), so that graders and --expect know the fields before training."""
    last = history[-1] if history else {}
    test = score(names, task, model, test_split) if test_split is not None else {}
    return {f"val_{name}": last.get(f"val_{name}") for name in names} | {
        f"test_{name}": test.get(name) for name in names
    }
