"""The contracts (trainer.contracts) fit what the registries build, and import nothing of the framework.

The registries are read, not listed: a new entry is checked without editing this file. mypy checks
this file too (pyproject.toml), so `test_implementations_fit_statically` fails type checking, not
only at run time, when a class stops fitting its Protocol.
"""

import ast
import inspect

import mygrad as mg
import numpy as np
import pytest

from trainer import contracts
from trainer.config.schema import COMPONENTS
from trainer.data.dataset import Dataset, classification
from trainer.nn.models import Linear, Sequential, mlp
from trainer.optim.optimizers import SGD, Adam
from trainer.optim.schedules import SCHEDULES, ScheduleComponent, build_schedule
from trainer.training.callbacks import HOOKS

N_INPUTS, N_OUTPUTS = 3, 1  # one output: what every model accepts (logistic has only one)


def default_block(kind: str, name: str, **required):
    registry = COMPONENTS[kind]
    return registry.schema(name)(type=name, **required)


def test_contracts_import_nothing_of_the_framework():
    tree = ast.parse(inspect.getsource(contracts))
    imported = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
    imported += [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    assert not [name for name in imported if name == "trainer" or name.startswith("trainer.")], imported


@pytest.mark.parametrize("name", COMPONENTS["model"].names())
def test_every_model_is_a_model(name):
    model = COMPONENTS["model"].build(
        default_block("model", name),
        n_inputs=N_INPUTS,
        input_shape=(N_INPUTS,),
        n_outputs=N_OUTPUTS,
        rng=np.random.default_rng(0),
    )
    assert isinstance(model, contracts.Model)
    assert all(isinstance(p, mg.Tensor) for p in model.parameters)
    assert isinstance(model(np.zeros((4, N_INPUTS))), mg.Tensor)


@pytest.mark.parametrize("name", COMPONENTS["loss"].names())
def test_every_loss_is_a_loss(name):
    loss = COMPONENTS["loss"].build(default_block("loss", name))
    assert isinstance(loss, contracts.Loss)
    assert getattr(loss, "expects", None) in ("values", "classes", "binary")


@pytest.mark.parametrize("name", COMPONENTS["optimizer"].names())
def test_every_optimizer_is_an_optimizer(name):
    optimizer = COMPONENTS["optimizer"].build(default_block("optimizer", name, lr=0.1))
    assert isinstance(optimizer, contracts.Optimizer)
    assert isinstance(optimizer, contracts.Stateful)
    assert isinstance(optimizer.lr, float)


@pytest.mark.parametrize("name", SCHEDULES.names())
def test_every_schedule_is_a_schedule(name):
    block = SCHEDULES.schema(name)(type=name)
    assert isinstance(block, ScheduleComponent)  # the registry's base for schedules
    schedule = build_schedule(block, lr=0.1, steps_per_epoch=10, total_steps=100)
    assert isinstance(schedule, contracts.Schedule)
    assert isinstance(schedule(0), float)


@pytest.mark.parametrize("name", ["spiral", "function"])  # made with NumPy alone: fast
def test_data_sets_are_datasets(name):
    dataset = COMPONENTS["data"].build(default_block("data", name), seed=0)
    assert isinstance(dataset, Dataset)
    assert isinstance(dataset, contracts.Dataset)
    assert dataset.task in ("regression", "classification")


def test_every_callback_hook_is_in_the_contract():
    """The hooks the loop dispatches are exactly the Callback protocol's, with its signatures."""
    assert HOOKS == [name for name in vars(contracts.Callback) if name.startswith("on_")]
    assert len(HOOKS) == 7
    for name in HOOKS:
        assert list(inspect.signature(getattr(contracts.Callback, name)).parameters)[:2] == ["self", "state"]


def test_implementations_fit_statically() -> None:
    """Assignments mypy checks against the Protocols (they also run, as a plain test)."""
    rng = np.random.default_rng(0)
    models: list[contracts.Model] = [
        Linear(N_INPUTS, N_OUTPUTS, rng),
        mlp(N_INPUTS, N_OUTPUTS, rng),
        Sequential((1, 4, 4), N_OUTPUTS, rng),
    ]
    optimizers: list[contracts.Optimizer] = [SGD(lr=0.1), Adam(lr=0.1)]
    stateful: list[contracts.Stateful] = [SGD(lr=0.1)]
    dataset: contracts.Dataset = classification(np.zeros((4, 2)), [0, 1, 0, 1])
    schedule: contracts.Schedule = build_schedule(ScheduleComponent(type="constant"), 0.1, 10, 100)
    assert len(models) == 3 and len(optimizers) == 2 and stateful and dataset.n_classes == 2
    assert schedule(5) == 0.1
