"""Helpers of the conformance suites: every registry entry is looked up in a table of references written
out by hand, and an entry without one fails with a message saying what to add. The tables:

  tests/test_conformance_optim.py   OPTIMIZER_REFERENCES (update rules), SCHEDULE_REFERENCES (lr formulas)
  tests/test_conformance_losses.py  LOSS_REFERENCES (values in NumPy and the targets each loss expects)
  tests/test_conformance_models.py  MODEL_REFERENCES (forward passes in NumPy), METRIC_REFERENCES (formulas)
  tests/test_conformance_data.py    DATASET_REFERENCES (task, shapes, files to write), FUNCTION_REFERENCES

Like scikit-learn's check_estimator: the tests are parametrized from the registries themselves, so a
newly registered component is checked the moment it exists.
"""

import pytest


def reference_for(table: dict, name: str, kind: str, what: str, table_name: str, file: str):
    """table[name], or a test failure telling the author of a new `kind` where to add `what`."""
    if name not in table:
        pytest.fail(f'{kind} "{name}" has no reference in {file}: add {what} to {table_name}', pytrace=False)
    return table[name]


def assert_no_stale_references(table: dict, registered, kind: str, table_name: str, file: str) -> None:
    """Every reference names a registered entry: a reference left behind checks nothing."""
    stale = sorted(set(table) - set(registered))
    assert not stale, (
        f"{table_name} in {file} has references for {', '.join(stale)}, which no {kind} is registered "
        f"as any more: remove them (or register the {kind} again)"
    )
