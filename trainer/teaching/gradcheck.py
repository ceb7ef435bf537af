"""Gradient check: MyGrad's gradient of the loss against central finite differences, per parameter.

    python scripts/gradcheck.py configs/linreg.yaml

The model and loss are built from the config exactly as training builds them (so a student's own
model or loss is what gets checked), on the first mini-batch training would take, in float64. For
every parameter entry, (L(w + eps) - L(w - eps)) / (2 eps) is compared with MyGrad's dL/dw; the
relative error of a parameter is |analytic - numeric| / max(|analytic|, |numeric|) over its entries
(Euclidean norms). A correct gradient gives ~1e-9 or less; a wrong one gives something near 1.
"""

from dataclasses import dataclass

import mygrad as mg
import numpy as np

from trainer.config.schema import Config
from trainer.runs.build import build, rng_for
from trainer.training.diagnostics import parameter_names

THRESHOLD = (
    1e-6  # relative error above this fails; central differences in float64 give ~1e-9 for smooth losses
)

EPSILON = 1e-5  # the finite-difference step: truncation error grows as eps**2, rounding error as 1e-16 * |loss| / eps

TINY = (
    1e-8  # gradients smaller than this (in norm) count as zero when dividing, so noise around 0 does not fail
)

WORST = 5  # entries shown for a failing parameter

# The check runs at the initial parameters plus seeded N(0, NUDGE**2) noise: a generic point. At the
# initial values themselves, zero biases put relu exactly on its kink for an input at the origin, and
# zero weights hide any term of a gradient that they multiply.
NUDGE = 0.1


@dataclass
class ParameterCheck:
    name: str
    shape: tuple[int, ...]
    checked: int  # entries compared (all, or a seeded sample of a large parameter)
    relative_error: float
    worst: list[
        tuple[tuple[int, ...], float, float]
    ]  # (index, MyGrad, finite differences), largest difference first

    def passed(self, threshold: float = THRESHOLD) -> bool:
        return self.relative_error <= threshold


def check_gradients(config: Config, *, max_entries=1000) -> tuple[list[ParameterCheck], int]:
    """Check every parameter of the config's model on its first training batch; return the checks and the batch size.
    A float32 config is checked in float64: float32's rounding would swamp the finite differences."""
    experiment = build(config.model_copy(update={"dtype": "float64"}))
    X, y = experiment.splits.train
    batch = rng_for(config.seed, "batches").permutation(len(X))[
        : config.trainer.batch_size
    ]  # training's first batch
    X, y = X[batch], y[batch]  # float64 (build() checked that the model computes in it)
    model, loss_fn = experiment.model, experiment.loss
    sampler = rng_for(config.seed, "gradcheck")
    for p in model.parameters:
        p.data += sampler.normal(0.0, NUDGE, p.shape)
    if hasattr(model, "training"):
        model.training = (
            False  # dropout off: a new random mask per forward pass would make the differences noise
        )
    loss_fn(model(X), y).backward()  # build() checked that the loss is a scalar reaching every parameter
    analytic = [np.array(p.grad) for p in model.parameters]
    names = parameter_names(model)
    checks = []
    with mg.no_autodiff:
        loss_at = lambda: loss_fn(model(X), y).item()  # noqa: E731
        for p, grad, name in zip(model.parameters, analytic, names):
            indices = _entries(p.shape, max_entries, sampler)
            numeric = np.array([_central_difference(loss_at, p.data, index, EPSILON) for index in indices])
            checks.append(
                _compare(name, p.shape, indices, np.array([grad[index] for index in indices]), numeric)
            )
    return checks, len(batch)


def _entries(shape, max_entries: int, rng: np.random.Generator) -> list[tuple[int, ...]]:
    """Every index of a parameter, or a seeded sample of `max_entries` of them (a large layer costs two forward passes an entry)."""
    size = int(np.prod(shape))
    flat = np.arange(size) if size <= max_entries else np.sort(rng.choice(size, max_entries, replace=False))
    return [tuple(int(i) for i in np.unravel_index(k, shape)) for k in flat]


def _central_difference(loss_at, array: np.ndarray, index, epsilon: float) -> float:
    saved = array[index]
    array[index] = saved + epsilon
    up = loss_at()
    array[index] = saved - epsilon
    down = loss_at()
    array[index] = saved
    return (up - down) / (2 * epsilon)


def _compare(name, shape, indices, analytic: np.ndarray, numeric: np.ndarray) -> ParameterCheck:
    scale = max(np.linalg.norm(analytic), np.linalg.norm(numeric), TINY)
    difference = np.abs(analytic - numeric)
    order = np.argsort(-difference, kind="stable")[:WORST]
    worst = [(indices[k], float(analytic[k]), float(numeric[k])) for k in order]
    return ParameterCheck(
        name, tuple(shape), len(indices), float(np.linalg.norm(analytic - numeric) / scale), worst
    )


def report(
    config: Config, checks: list[ParameterCheck], batch_rows: int, threshold: float = THRESHOLD
) -> str:
    """The table printed by `gradcheck`: a row per parameter, then the worst entries of each failure."""
    lines = [
        f"gradient check of {config.name}: model {config.model.type}, loss {config.loss.type}, "
        f"one batch of {batch_rows} rows, float64, central differences with eps {EPSILON:g},",
        f"at the initial parameters plus N(0, {NUDGE:g}^2) noise, dropout off",
        f"  {'parameter':<14}{'shape':>12}{'entries':>9}{'relative error':>16}  verdict",
    ]
    for check in checks:
        verdict = "pass" if check.passed(threshold) else "FAIL"
        shape = "x".join(map(str, check.shape)) or "scalar"
        lines.append(
            f"  {check.name:<14}{shape:>12}{check.checked:>9}{check.relative_error:>16.2e}  {verdict}"
        )
    failures = [check for check in checks if not check.passed(threshold)]
    for check in failures:
        lines.append(f"  {check.name}: the largest differences")
        lines.append(f"    {'index':<12}{'MyGrad':>16}{'finite diff.':>16}")
        for index, mine, numeric in check.worst:
            lines.append(f"    {str(index):<12}{mine:>16.6g}{numeric:>16.6g}")
    if failures:
        lines.append(
            f"FAILED: {len(failures)} of {len(checks)} parameters have a relative error above {threshold:g}. The gradient "
            f"MyGrad backpropagates is not the derivative of the loss's value: a hand-written backward, or a part of the "
            f"computation done outside MyGrad (.data, NumPy), is the usual cause. (A kink such as relu or abs exactly "
            f"at a point can also fail; rerun with another seed to rule that out.)"
        )
    else:
        lines.append(f"passed: every parameter's relative error is at most {threshold:g}.")
    return "\n".join(lines)
