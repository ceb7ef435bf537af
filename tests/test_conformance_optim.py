"""Conformance of every registered optimizer and schedule against its formula, written out here in NumPy.

The tests are parametrized from the registries: registering a component without adding its reference
below makes them fail, saying what to add (tests/conformance.py).
"""

import math
from typing import NamedTuple

import mygrad as mg
import numpy as np
import pytest

from tests.conformance import assert_no_stale_references, reference_for
from trainer.optim.optimizers import OPTIMIZERS
from trainer.optim.schedules import SCHEDULES, build_schedule
from trainer.training import checkpoint

FILE = "tests/test_conformance_optim.py"


# ---------------------------------------------------------------- optimizers


class OptimizerReference(NamedTuple):
    """`rule(w, grads, **options)`: w after each step, for one parameter; `cases`: option sets to try."""

    rule: object
    cases: list[dict]


def sgd_rule(w, grads, lr, momentum=0.0, nesterov=False, weight_decay=0.0):
    """PyTorch's SGD: g += wd w; b = mu b + g (b = g at first); step = g + mu b (Nesterov) or b."""
    b, out = None, []
    for g in grads:
        g = g + weight_decay * w
        if momentum:
            b = g if b is None else momentum * b + g
            g = g + momentum * b if nesterov else b
        w = w - lr * g
        out.append(w)
    return out


def adam_rule(w, grads, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
    """Kingma & Ba, Algorithm 1; AdamW (Loshchilov & Hutter, Algorithm 2) adds lr * wd * w."""
    m = v = np.zeros_like(w)
    out = []
    for t, g in enumerate(grads, start=1):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        w = w - lr * weight_decay * w - lr * m_hat / (np.sqrt(v_hat) + eps)
        out.append(w)
    return out


def adamw_rule(w, grads, weight_decay=0.01, **options):
    return adam_rule(w, grads, weight_decay=weight_decay, **options)


def rmsprop_rule(w, grads, lr=0.01, alpha=0.99, eps=1e-8):
    v, out = np.zeros_like(w), []
    for g in grads:
        v = alpha * v + (1 - alpha) * g * g
        w = w - lr * g / (np.sqrt(v) + eps)
        out.append(w)
    return out


def adagrad_rule(w, grads, lr=0.01, eps=1e-10):
    s, out = np.zeros_like(w), []
    for g in grads:
        s = s + g * g
        w = w - lr * g / (np.sqrt(s) + eps)
        out.append(w)
    return out


OPTIMIZER_REFERENCES = {
    "sgd": OptimizerReference(
        sgd_rule,
        [
            {"lr": 0.1},
            {"lr": 0.1, "momentum": 0.9},
            {"lr": 0.1, "momentum": 0.9, "nesterov": True},
            {"lr": 0.1, "momentum": 0.5, "weight_decay": 0.01},
            {"lr": 0.05, "weight_decay": 0.1},
        ],
    ),
    "adam": OptimizerReference(adam_rule, [{}, {"lr": 0.1, "beta1": 0.5, "beta2": 0.9, "eps": 1e-6}]),
    "adamw": OptimizerReference(adamw_rule, [{}, {"lr": 0.01, "weight_decay": 0.1, "beta1": 0.8}]),
    "rmsprop": OptimizerReference(rmsprop_rule, [{}, {"lr": 0.02, "alpha": 0.9, "eps": 1e-6}]),
    "adagrad": OptimizerReference(adagrad_rule, [{}, {"lr": 0.1, "eps": 1e-6}]),
}

STEPS = 6
SHAPES = [(3, 2), (2,)]  # a weight matrix and a bias: each parameter keeps its own state


def optimizer_reference(name: str) -> OptimizerReference:
    return reference_for(
        OPTIMIZER_REFERENCES,
        name,
        "optimizer",
        "its update rule in NumPy and option sets to try",
        "OPTIMIZER_REFERENCES",
        FILE,
    )


def make_optimizer(name: str, options: dict):
    return OPTIMIZERS.build(OPTIMIZERS.schema(name)(type=name, **options))


def start_and_gradients(seed: int, dtype=np.float64):
    rng = np.random.default_rng(seed)
    start = [rng.normal(size=shape).astype(dtype) for shape in SHAPES]
    grads = [[rng.normal(size=shape).astype(dtype) for shape in SHAPES] for _ in range(STEPS)]
    return start, grads


def take_steps(optimizer, parameters, grads) -> list[list[np.ndarray]]:
    """Step with each set of gradients (as backward() would leave them); the parameters after each step."""
    after = []
    for step_grads in grads:
        for p, g in zip(parameters, step_grads):
            p._grad = g.copy()
        optimizer.step(parameters)
        after.append([p.data.copy() for p in parameters])
    return after


@pytest.mark.parametrize("name", OPTIMIZERS.names())
def test_optimizer_follows_its_update_rule(name):
    reference = optimizer_reference(name)
    start, grads = start_and_gradients(seed=1)
    for options in reference.cases:
        parameters = [mg.tensor(w.copy()) for w in start]
        got = take_steps(make_optimizer(name, options), parameters, grads)
        for index, w in enumerate(start):
            expected = reference.rule(w, [g[index] for g in grads], **options)
            for step, (mine, theirs) in enumerate(zip(got, expected), start=1):
                assert np.allclose(mine[index], theirs, rtol=1e-12, atol=1e-14), (
                    f"{name} {options}: parameter {index} after step {step} is off the update rule"
                )


@pytest.mark.parametrize("name", OPTIMIZERS.names())
def test_optimizer_state_round_trips_mid_run_bit_for_bit(name, tmp_path):
    """state_dict() mid-run, loaded into a new optimizer (directly and through a checkpoint file),
    continues on exactly the same bits; the saved state is a copy the original no longer changes."""
    for options in optimizer_reference(name).cases:
        start, grads = start_and_gradients(seed=2)
        straight = take_steps(make_optimizer(name, options), [mg.tensor(w.copy()) for w in start], grads)[-1]

        first, parameters = make_optimizer(name, options), [mg.tensor(w.copy()) for w in start]
        take_steps(first, parameters, grads[:3])
        saved, halfway = first.state_dict(), [p.data.copy() for p in parameters]
        take_steps(first, parameters, grads[3:])  # goes on changing its own state, not the saved copy
        for key, value in saved.items():
            assert isinstance(value, (int, float)) or all(type(a) is np.ndarray for a in value), (
                f"{name}: state {key!r} should be a number or a list of arrays"
            )
        checkpoint.save(tmp_path / "state.npz", {"optimizer": saved})
        for state in (saved, checkpoint.load(tmp_path / "state.npz")["optimizer"]):
            resumed, parameters = make_optimizer(name, options), [mg.tensor(w.copy()) for w in halfway]
            resumed.load_state_dict(state)
            end = take_steps(resumed, parameters, grads[3:])[-1]
            assert all(np.array_equal(a, b) for a, b in zip(end, straight)), (
                f"{name} {options}: resuming from the state dict must give the same bits"
            )


@pytest.mark.parametrize("name", OPTIMIZERS.names())
def test_optimizer_keeps_float32_and_reads_lr_at_every_step(name):
    """A float32 run stays float32; a schedule sets `lr` between steps, so lr = 0 leaves w where it is."""
    options = optimizer_reference(name).cases[-1]
    start, grads = start_and_gradients(seed=3, dtype=np.float32)
    optimizer, parameters = make_optimizer(name, options), [mg.tensor(w) for w in start]
    take_steps(optimizer, parameters, grads[:2])
    assert all(p.dtype == np.float32 for p in parameters), f"{name} changed the parameters' dtype"
    optimizer.lr = 0.0
    before = [p.data.copy() for p in parameters]
    take_steps(optimizer, parameters, grads[2:4])
    assert all(np.array_equal(p.data, b) for p, b in zip(parameters, before)), f"{name} ignores its lr"


def test_every_optimizer_reference_is_registered():
    assert_no_stale_references(
        OPTIMIZER_REFERENCES, OPTIMIZERS.names(), "optimizer", "OPTIMIZER_REFERENCES", FILE
    )


# ---------------------------------------------------------------- schedules


class ScheduleReference(NamedTuple):
    """`lr_at(step, lr, steps_per_epoch, total_steps, **options)` written out; option sets to try."""

    lr_at: object
    cases: list[dict]


def cosine_lr(step, lr, steps_per_epoch, total_steps, min_lr=0.0):
    return min_lr + (lr - min_lr) * (1 + math.cos(math.pi * min(step, total_steps) / total_steps)) / 2


SCHEDULE_REFERENCES = {
    "constant": ScheduleReference(lambda step, lr, steps_per_epoch, total_steps: lr, [{}]),
    "step": ScheduleReference(
        lambda step, lr, steps_per_epoch, total_steps, step_size=10, gamma=0.1: (
            lr * gamma ** (step // (step_size * steps_per_epoch))
        ),
        [{}, {"step_size": 2, "gamma": 0.5}],
    ),
    "exponential": ScheduleReference(
        lambda step, lr, steps_per_epoch, total_steps, gamma=0.95: lr * gamma ** (step / steps_per_epoch),
        [{}, {"gamma": 0.8}],
    ),
    "cosine": ScheduleReference(cosine_lr, [{}, {"min_lr": 0.01}]),
}

LR, PER_EPOCH, EPOCHS = 0.1, 7, 25  # 25 epochs: step's default step_size (10) is passed twice


def schedule_reference(name: str) -> ScheduleReference:
    return reference_for(
        SCHEDULE_REFERENCES, name, "schedule", "its lr_at(step) formula", "SCHEDULE_REFERENCES", FILE
    )


def schedule(name: str, options: dict, total_steps: int = PER_EPOCH * EPOCHS):
    return build_schedule(SCHEDULES.schema(name)(type=name, **options), LR, PER_EPOCH, total_steps)


@pytest.mark.parametrize("name", SCHEDULES.names())
def test_schedule_follows_its_formula_as_a_pure_function_of_the_step(name):
    reference, total = schedule_reference(name), PER_EPOCH * EPOCHS
    steps = list(range(total + 3))  # a few beyond the end too: a resumed run may be given more epochs
    for options in reference.cases:
        lr_at = schedule(name, options)
        expected = [reference.lr_at(s, LR, PER_EPOCH, total, **options) for s in steps]
        assert [lr_at(s) for s in steps] == pytest.approx(expected, rel=1e-12), f"schedule {name} {options}"
        shuffled = np.random.default_rng(0).permutation(steps)
        again = dict(zip(shuffled.tolist(), (lr_at(int(s)) for s in shuffled)))
        assert [again[s] for s in steps] == [lr_at(s) for s in steps], "the lr must depend on the step alone"


@pytest.mark.parametrize("name", SCHEDULES.names())
def test_schedule_starts_with_linear_warmup_then_runs_over_the_rest(name):
    reference, total = schedule_reference(name), PER_EPOCH * EPOCHS
    for options in reference.cases:
        for epochs, warmup in ((2, 2 * PER_EPOCH), (0.5, 4)):  # half an epoch of 7 steps: 4 steps
            lr_at = schedule(name, {**options, "warmup_epochs": epochs})
            assert [lr_at(s) for s in range(warmup)] == pytest.approx(
                [LR * (s + 1) / warmup for s in range(warmup)], rel=1e-12
            ), f"schedule {name} {options}: warm-up of {epochs} epochs"
            after = [
                reference.lr_at(s, LR, PER_EPOCH, total - warmup, **options) for s in range(total - warmup)
            ]
            assert [lr_at(s) for s in range(warmup, total)] == pytest.approx(after, rel=1e-12), (
                f"schedule {name} {options}: after {epochs} epochs of warm-up it spans the rest of the run"
            )


def test_every_schedule_reference_is_registered():
    assert_no_stale_references(
        SCHEDULE_REFERENCES, SCHEDULES.names(), "schedule", "SCHEDULE_REFERENCES", FILE
    )
