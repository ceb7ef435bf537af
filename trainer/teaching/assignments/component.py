"""The component check: a student's model or loss against the solution's, value and gradients, on
seeded inputs that include the hard ones.

The solution's results are recorded once (`record`): the inputs, the parameter values, the output,
and the gradient with respect to every parameter and input. A handout carries the record of each
visible check (an .npz), never the solution's code; grading records from the solution itself. Then
`compare` puts the same parameter values into the student's model, calls it on the same inputs and
says what differs, naming the classic bug when it is one (diagnose.py).

The cases: `typical` (8 rows, float64), `single_row` (1 row), `large` (inputs x 1000: softmax and
log overflow unless they are guarded), `float32` (the computation must stay in float32).
"""

import math
import zlib

import mygrad as mg
import numpy as np

from trainer.errors import UserError
from trainer.nn.checks import parameters_of
from trainer.teaching.assignments import diagnose
from trainer.teaching.assignments.spec import ComponentCheck
from trainer.training.diagnostics import parameter_names
from trainer.usercode import explain_students_error

SETTINGS = {"typical": (8, "float64", 1.0), "single_row": (1, "float64", 1.0),
            "large": (8, "float64", 1000.0), "float32": (8, "float32", 1.0)}  # fmt: skip
FLOAT32_TOLERANCE = 1e-3


class Failed(Exception):
    """The student's component failed a case; the message says why, for the student."""


def record(check: ComponentCheck, component) -> dict[str, np.ndarray]:
    """The solution's inputs, parameters, output and gradients for every case, as flat arrays by name."""
    recorded: dict[str, np.ndarray] = {}
    for case in check.cases:
        rows, dtype, scale = SETTINGS[case]
        rng = np.random.default_rng(
            zlib.crc32(case.encode())
        )  # each case its own inputs, every time the same
        width = check.width if check.role == "loss" else check.inputs
        recorded[f"{case}/x"] = (rng.normal(size=(rows, width)) * scale).astype(dtype)
        if check.role == "loss":
            recorded[f"{case}/target"] = _targets(check, rng, rows, dtype)
        else:
            model = _make_model(check, component)
            for number, p in enumerate(parameters_of(model)):
                recorded[f"{case}/parameter{number}"] = rng.normal(0, 0.5, p.shape).astype(dtype)
            recorded[f"{case}/upstream"] = rng.normal(size=(rows, check.width)).astype(dtype)
        output, gradients = _run(check, component, recorded, case)
        recorded[f"{case}/output"] = output
        missing = [name for name, value in gradients.items() if value is None]
        if missing:
            raise UserError(
                f"check {check.name}: the solution's gradient reaches no {missing[0]}; fix the solution."
            )
        recorded.update({f"{case}/gradient/{name}": np.asarray(value) for name, value in gradients.items()})
    return recorded


def compare(check: ComponentCheck, component, reference: dict[str, np.ndarray]) -> str:
    """A line saying the component matched in every case; raises Failed with the first thing to fix."""
    outcomes: dict[str, str | None] = {}
    for case in check.cases:
        try:
            outcomes[case] = _compare_case(check, component, reference, case)
        except Failed as failure:
            outcomes[case] = str(failure)
    failing = [case for case, problem in outcomes.items() if problem]
    if failing:
        broadcast = diagnose.right_on_one_row(outcomes)
        first = outcomes[failing[0]] or ""
        raise Failed(
            broadcast
            or (first if "your code" in first else f"in the {_describe(check, failing[0])}: {first}")
        )
    return (
        f"{check.target.split(':')[1]} matches the reference, value and gradients, on "
        + ", ".join(_describe(check, case) for case in check.cases)
        + "."
    )


def _describe(check: ComponentCheck, case: str) -> str:
    rows, dtype, scale = SETTINGS[case]
    what = "logits" if check.targets != "values" and check.role == "loss" else "inputs"
    size = f" of size about {scale:g}" if scale != 1 else ""
    return f"{case} case ({rows} row{'s' * (rows > 1)} of {dtype} {what}{size})"


def _targets(check: ComponentCheck, rng: np.random.Generator, rows: int, dtype: str) -> np.ndarray:
    if check.targets == "classes":
        return rng.integers(0, check.width, rows)
    if check.targets == "binary":
        return rng.integers(0, 2, rows)
    return rng.normal(size=(rows, check.width)).astype(dtype)


def _make_model(check: ComponentCheck, factory):
    return factory(
        n_inputs=check.inputs, n_outputs=check.width, rng=np.random.default_rng(0), **check.options
    )


@np.errstate(all="ignore")  # an overflow is reported by what it leads to: inf or nan
def _run(check: ComponentCheck, component, recorded: dict, case: str) -> tuple[np.ndarray, dict]:
    """Call the component on the case's inputs; its output and the gradients (None where none arrived)."""
    x = mg.tensor(recorded[f"{case}/x"])
    if check.role == "loss":
        output = component(x, recorded[f"{case}/target"])
        _require_tensor(output, check, component, scalar=True)
        output.backward()
        return np.array(output.data), {"input": x.grad}
    model = _make_model(check, component)
    parameters = parameters_of(model)
    for number, p in enumerate(parameters):
        p.data = np.array(recorded[f"{case}/parameter{number}"])
    output = model(x)
    _require_tensor(output, check, component, scalar=False)
    if output.shape != recorded[f"{case}/upstream"].shape:
        raise Failed(
            diagnose.shape_difference("your output", output.shape, recorded[f"{case}/upstream"].shape)
        )
    mg.sum(output * recorded[f"{case}/upstream"]).backward()  # a seeded gradient from above
    # the parameters first: a cut graph is named by the first parameter it leaves without a gradient
    gradients = {f"parameter{n}": p.grad for n, p in enumerate(parameters)} | {"input": x.grad}
    return np.array(output.data), gradients


def _require_tensor(output, check: ComponentCheck, component, scalar: bool) -> None:
    if not isinstance(output, mg.Tensor):
        raise Failed(
            diagnose.graph_cut(component, f"it returned a {type(output).__name__}, not a mygrad Tensor")
        )
    if scalar and output.ndim != 0:
        rows = f" of {output.shape[0]} rows" if output.ndim else ""
        raise Failed(
            diagnose.shape_difference("the loss", output.shape, ())
            if output.ndim == 2 and output.shape[0] == output.shape[1] > 1
            else f"the loss has shape {output.shape}; it should be a scalar, the mean over the batch{rows} (mg.mean)."
        )


def _compare_case(check: ComponentCheck, component, reference: dict, case: str) -> str | None:
    rows, dtype, scale = SETTINGS[case]
    tolerance = check.tolerance if dtype == "float64" else max(check.tolerance, FLOAT32_TOLERANCE)
    mine = {key: value for key, value in reference.items() if key.startswith(f"{case}/")}
    try:
        if check.role == "model":
            count = sum(1 for key in mine if key.startswith(f"{case}/parameter"))
            _check_parameters(check, component, [mine[f"{case}/parameter{n}"].shape for n in range(count)])
        output, gradients = _run(check, component, mine, case)
    except (Failed, UserError) as error:
        raise Failed(str(error)) from None
    except (Exception, SystemExit) as error:
        raise Failed(explain_students_error(error, f"calling it in the {_describe(check, case)}")) from None
    expected = reference[f"{case}/output"]
    if output.dtype != expected.dtype:
        raise Failed(
            f"it computed in {output.dtype} for {dtype} inputs: make every array it creates with x's dtype."
        )
    if check.role == "loss":
        if not _same(output, expected, tolerance):
            raise Failed(
                diagnose.loss_value(float(output), float(expected), rows, case, scale > 1, check.targets)
            )
    elif not _same(output, expected, tolerance):
        row = int(np.argmax(np.abs(output - expected).reshape(rows, -1).max(axis=1)))
        raise Failed(f"its output at row {row}, {output[row]}, {diagnose.DIFFERS}'s, {expected[row]}.")
    names = _names(check, component)
    for key, gradient in gradients.items():
        wanted = reference[f"{case}/gradient/{key}"]
        name = names.get(key, key)
        if gradient is None and wanted is not None:
            raise Failed(diagnose.graph_cut(component, f"no gradient reached {name}"))
        if gradient is not None and not _same(np.asarray(gradient), wanted, tolerance):
            raise Failed(
                diagnose.graph_cut(
                    component, f"the value is right, but the gradient with respect to {name} is not"
                )
                if diagnose.suspect_lines(component)
                else f"the value is right, but the gradient with respect to {name} {diagnose.DIFFERS}'s."
            )
    return None


def _check_parameters(check: ComponentCheck, component, shapes: list[tuple]) -> None:
    try:
        model = _make_model(check, component)
    except (Exception, SystemExit) as error:
        doing = f"creating it with n_inputs={check.inputs}, n_outputs={check.width}, rng"
        raise Failed(explain_students_error(error, doing)) from None
    parameters = parameters_of(model)  # a UserError says what is wrong with them
    if len(parameters) != len(shapes):
        raise Failed(
            f"it has {len(parameters)} parameters; the reference has {len(shapes)}, shaped {shapes}."
        )
    names = parameter_names(model)
    for name, p, shape in zip(names, parameters, shapes):
        if p.shape != shape:
            raise Failed(diagnose.shape_difference(f"parameter {name}", p.shape, shape))


def _names(check: ComponentCheck, component) -> dict[str, str]:
    if check.role == "loss":
        return {"input": "the prediction"}
    names = parameter_names(_make_model(check, component))
    return {"input": "the input x"} | {f"parameter{n}": name for n, name in enumerate(names)}


def _same(mine: np.ndarray, expected: np.ndarray, tolerance: float) -> bool:
    if mine.shape != expected.shape:
        return False
    if not np.all(np.isfinite(mine)) or not np.all(np.isfinite(expected)):
        return bool(np.array_equal(mine, expected, equal_nan=True))
    scale = max(float(np.linalg.norm(expected)), float(np.linalg.norm(mine)), 1e-12)
    return math.isclose(float(np.linalg.norm(mine - expected)) / scale, 0.0, abs_tol=tolerance)
