"""summary.json: what a run did, every key present whatever the outcome."""

from trainer.runs import report
from trainer.runs.callbacks import RunCallbacks
from trainer.training import diagnostics
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
        "best": {
            "monitor": callbacks.saver.monitor.key,
            "mode": callbacks.saver.monitor.mode,
            "value": callbacks.saver.monitor.best,
        },
        "seconds": round(seconds, 3),
        "seed": config.seed,
        "folder": str(folder),
        "stopped_epoch": state.epoch if state.status == "stopped_early" else None,
        "best_epoch": callbacks.early.best_epoch
        if callbacks.early and state.status == "stopped_early"  # (a user's callback may stop early too)
        else None,
        "divergence": callbacks.guard.message if diverged else None,
        # a diverged run has its own explanation (divergence); the others get advice about the learning rate
        "warnings": [] if diverged else _warnings(config, state),
    }
    test_split = None if diverged else experiment.splits.test  # a diverged model is not scored
    summary |= final_scores(experiment.metrics, experiment.task, experiment.model, state.history, test_split)
    return summary | report.linear_model_facts(experiment)


def _warnings(config, state) -> list[str]:
    """Advice about the learning rate, and about overfitting unless early stopping already acted on it."""
    train = [logs["train_loss"] for logs in state.history]
    found = diagnostics.learning_rate_warnings(train, config.optimizer.options().get("lr"))
    val = [logs.get("val_loss") for logs in state.history]
    if state.status != "stopped_early" and None not in val:
        found += diagnostics.overfitting_warnings(train, val)
    return found
