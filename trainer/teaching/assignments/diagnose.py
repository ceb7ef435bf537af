"""Names for the classic bugs, in words a beginner understands: what went wrong and the line to look at.

- the graph cut by `.data`, `.item()`, `float()` or np.array(): a gradient that is missing or
  differs while the value is right; the lines that do it are found in the student's source;
- the wrong sign: the value is minus the reference's; in training, the loss rises from the start;
- a shape that broadcasts, (N, 1) against (N,) or a (hidden, 1) parameter: right on one row, wrong on
  several, or a parameter or output shaped otherwise than the reference's;
- `sum` where the mean was meant: the value is the reference's times the number of rows;
- softmax or a log without a safeguard: NaN or inf on large inputs where the reference stays finite;
- a parameter that never changes in training.
"""

import inspect
import math
import re

import numpy as np

# What turns a Tensor into plain numbers that backward() cannot go through.
# (NumPy's math functions such as np.exp called on a Tensor are tracked by MyGrad; np.array is not.)
GRAPH_CUTTERS = re.compile(r"\.data\b|\.item\(\)|\.tolist\(\)|\bfloat\(|\bnp\.(?:asarray|array|copy)\(")

GRAPH_CUT = (
    "the graph is cut: MyGrad can only follow operations on Tensors. `.data`, `.item()`, `float()`, "
    "np.array() and np.asarray() hand back plain NumPy numbers, and whatever is computed from them "
    "is a constant to backward(); compute with the Tensors themselves (mg.exp, mg.log, mg.mean, @, ...)."
)

DIFFERS = "differs from the reference"  # in the messages that name no bug: a broadcast may explain them

RELATIVE_SAME = 1e-6  # two numbers this close (relative) count as equal when naming a bug


def graph_cut(component, what: str) -> str:
    """'The gradient of w1 is missing: the graph is cut ... Look at line 14: `h = np.maximum(...)`'."""
    return f"{what}: {GRAPH_CUT}{suspect_lines(component)}"


def suspect_lines(component) -> str:
    """' Look at line 14 of net.py: `...`.' for each line of the component's code that cuts the graph."""
    function = vars(component).get("__call__", component) if inspect.isclass(component) else component
    try:
        lines, first = inspect.getsourcelines(function)
        file = inspect.getsourcefile(function)
    except (OSError, TypeError):
        return ""
    found = [
        f"line {first + number}: `{line.strip()}`"
        for number, line in enumerate(lines)
        if GRAPH_CUTTERS.search(line.split("#")[0])
    ]
    where = file.rsplit("/", 1)[-1] if file else "your file"
    return f" Look at {where}, {'; '.join(found)}." if found else ""


def close(a: float, b: float, tolerance: float = RELATIVE_SAME) -> bool:
    return math.isclose(a, b, rel_tol=tolerance, abs_tol=1e-12)


def loss_value(mine: float, reference: float, rows: int, case: str, large: bool, targets: str) -> str:
    """Why a loss's value differs from the reference's on one case, when the reason is a classic bug."""
    if large and not math.isfinite(mine) and math.isfinite(reference):
        if targets == "classes":
            return (
                f"it gives {mine} on large logits (the {case} case): exp() overflows. Subtract each row's "
                f"largest logit first, z = logits - mg.max(logits, axis=1, keepdims=True): softmax does "
                f"not change, and exp() never sees a number above 0."
            )
        return (
            f"it gives {mine} on large values (the {case} case), where the reference gives {reference:.6g}: "
            f"exp() overflows or log() meets 0. Use a form that stays finite, such as "
            f"mg.logaddexp(0, z) - y * z for the binary cross-entropy of a logit z."
        )
    if not math.isfinite(mine):
        return f"it gives {mine}, which {DIFFERS} ({reference:.6g})."
    if reference and close(mine, -reference):
        return (
            f"it is {mine:.6g} where the reference is {reference:.6g}: the sign is wrong. A loss must "
            f"be small for good predictions, and gradient descent walks downhill on it."
        )
    if rows > 1 and reference and close(mine, rows * reference):
        return (
            f"it is {rows} times the reference on {rows} rows ({mine:.6g} against {reference:.6g}): a sum "
            f"where the mean was meant. The loss is the mean over the batch (mg.mean), so that its size "
            f"and the step's do not depend on the batch size."
        )
    return f"it is {mine:.6g}, which {DIFFERS} ({reference:.6g}): it computes something else."


BROADCAST = (
    "a shape broadcasts: NumPy and MyGrad stretch (N, 1) against (N,) into (N, N) without a word, "
    "so every row meets every other row. Print the shapes of what you combine; make them agree "
    "(for example prediction[:, 0] against a target of shape (N,), or a bias of shape (hidden,), not (hidden, 1))."
)


def right_on_one_row(results: dict[str, str | None]) -> str | None:
    """When the single-row case passes but a case with several rows fails: a broadcast."""
    if "single_row" in results and results["single_row"] is None:
        failing = [case for case in ("typical", "float32") if DIFFERS in (results.get(case) or "")]
        if failing:
            return f"right on one row, wrong on several (the {failing[0]} case): {BROADCAST}"
    return None


def shape_difference(what: str, mine: tuple, reference: tuple) -> str:
    if len(mine) != len(reference) and 1 in mine or (len(mine) == 2 and mine[0] == mine[1] != reference[0]):
        return f"{what} has shape {mine}, the reference's has {reference}: {BROADCAST}"
    return f"{what} has shape {mine}; it should be {reference}."


def rising_loss(losses: list[float]) -> str | None:
    """The wrong sign in training: the loss rises from the first epochs and keeps rising."""
    if len(losses) >= 3 and all(b > a for a, b in zip(losses[:3], losses[1:4])):
        return (
            f"the training loss rose from the first epochs ({losses[0]:.4g}, {losses[1]:.4g}, {losses[2]:.4g}, "
            f"...): at a small learning rate a loss can only rise when the step goes uphill, so the "
            f"sign of the loss (or of its gradient) is wrong."
        )
    return None


def negative_loss(losses: list[float]) -> str | None:
    """The wrong sign in the loss itself: descent makes -loss ever smaller, below 0."""
    below = next((epoch for epoch, loss in enumerate(losses, 1) if loss < 0), None)
    if below is None:
        return None
    return (
        f"the training loss went below 0 (epoch {below}: {losses[below - 1]:.4g}): a squared error or a "
        f"cross-entropy is never negative, so the sign of the loss is wrong, and descent on it makes "
        f"the predictions worse."
    )


def frozen_parameters(names: list[str], before: list[np.ndarray], after: list[np.ndarray]) -> str | None:
    """Parameters whose values are exactly the same after training as before it."""
    frozen = [name for name, old, new in zip(names, before, after) if np.array_equal(old, new)]
    if not frozen:
        return None
    return (
        f"parameter {', '.join(frozen)} never changed during training: its gradient was always 0. "
        f"Weights that all start at 0 give zero gradients through relu and through each other "
        f"(draw them from rng.normal); a parameter used through `.data` or a copy also stays where it is."
    )
