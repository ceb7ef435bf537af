"""summary.json: what a run did, every key present whatever the outcome."""

from pathlib import Path

from trainer.nn.metrics import score
from trainer.runs import report
from trainer.runs.callbacks import RunCallbacks
from trainer.training import checkpoint, diagnostics
from trainer.training.loop import evaluate
from trainer.training.metrics import final_scores


def summarize(config, experiment, state, folder, seconds, callbacks: RunCallbacks) -> dict:
    """summary.json. Every key is there whatever the outcome (null when it does not apply), so that a
    grader can rely on them and `--expect` can check the names it is given before training (trainer.teaching.grading)."""
    last = state.history[-1] if state.history else {}
    diverged = state.status == "diverged"
    summary = {
        "name": config.name,
        "status": state.status,
        "epochs_completed": len(state.history),
        "steps": state.step,
        "train_loss": last.get("train_loss"),
        "val_loss": last.get("val_loss"),
        "test_loss": None
        if diverged
        else evaluate(experiment.model, experiment.loss, experiment.splits.test),
        # what best.npz holds, which `evaluate` and `load_run` use: its epoch and its scores
        "best": _best(experiment, callbacks, state.history),
        "seconds": round(seconds, 3),
        "seed": config.seed,
        "folder": str(folder),
        "stopped_epoch": state.epoch if state.status == "stopped_early" else None,
        "best_epoch": None,  # filled in below, from `best`
        "divergence": callbacks.guard.message if diverged else None,
        # a diverged run has its own explanation (divergence); the others get advice about the learning rate
        "warnings": [] if diverged else _warnings(config, state),
    }
    test_split = None if diverged else experiment.splits.test  # a diverged model is not scored
    summary |= final_scores(experiment.metrics, experiment.task, experiment.model, state.history, test_split)
    summary["best_epoch"] = summary["best"]["epoch"]
    return summary | report.linear_model_facts(experiment)


def _best(experiment, callbacks: RunCallbacks, history: list[dict]) -> dict:
    """The best checkpoint: the monitored value, the epoch it was reached (the first, as the
    checkpointer keeps the first), and the loss and metrics of its parameters on each split."""
    monitor = callbacks.saver.monitor
    epoch = next(
        (
            number
            for number, logs in enumerate(history, 1)
            if monitor.best is not None and logs.get(monitor.key) == monitor.best
        ),
        None,
    )
    logs = history[epoch - 1] if epoch else {}
    names = ["loss", *experiment.metrics]
    found = {"monitor": monitor.key, "mode": monitor.mode, "value": monitor.best, "epoch": epoch}
    found |= {"train_loss": logs.get("train_loss")} | {
        f"val_{name}": logs.get(f"val_{name}") for name in names
    }
    return found | {
        f"test_{name}": value
        for name, value in _test_scores(experiment, callbacks.saver.folder, names).items()
    }


def _test_scores(experiment, checkpoints: Path, names: list[str]) -> dict:
    """The loss and metrics of the best checkpoint's parameters on the test split (None without one)."""
    saved, _, _ = checkpoint.load_first_readable(checkpoints, ["best"])
    test = experiment.splits.test
    if test is None or saved is None:
        return dict.fromkeys(names)
    model = experiment.model
    current = [p.data.copy() for p in model.parameters]
    try:
        for p, value in zip(model.parameters, saved["parameters"], strict=True):
            p.data[...] = value
        return {"loss": evaluate(model, experiment.loss, test)} | score(
            experiment.metrics, experiment.task, model, test
        )
    finally:  # the summary's other scores are of the last parameters
        for p, value in zip(model.parameters, current, strict=True):
            p.data[...] = value


def _warnings(config, state) -> list[str]:
    """Advice about the learning rate, and about overfitting unless early stopping already acted on it."""
    train = [logs["train_loss"] for logs in state.history]
    found = diagnostics.learning_rate_warnings(train, config.optimizer.options().get("lr"))
    val = [logs.get("val_loss") for logs in state.history]
    if state.status != "stopped_early" and None not in val:
        found += diagnostics.overfitting_warnings(train, val)
    return found
