import builtins
import csv
import io
import math
import re

import mygrad as mg
import numpy as np
import pytest
from matplotlib.figure import Figure

from tests.conftest import CONFIGS
from tests.test_cli import run_cli
from trainer.contracts import Callback
from trainer.errors import ConfigError, UserError
from trainer.optim.optimizers import OPTIMIZERS
from trainer.teaching.descent.config import load_descent_config
from trainer.teaching.descent.functions import (
    FUNCTIONS,
    FormulaError,
    Surface,
    parse_formula,
)
from trainer.teaching.descent.plots import visible_part
from trainer.teaching.descent.run import descend

PARABOLOID = "function: paraboloid\nstart: [3.0, -4.0]\noptimizer: {type: sgd, lr: 0.1}\nsteps: 20\n"


def test_sgd_on_the_paraboloid_follows_the_update_rule_exactly(tmp_path, write_config):
    """(x, y) after n steps is (1 - 2 lr)**n (x0, y0): each step multiplies the point by 1 - 2 lr."""
    lrs = [0.01, 0.1, 0.3, 0.9, 1.01]
    compare = "compare: [" + ", ".join(f"{{type: sgd, lr: {lr}}}" for lr in lrs) + "]"
    run = descend(
        write_config(PARABOLOID.replace("optimizer: {type: sgd, lr: 0.1}", compare)), runs_dir=tmp_path
    )
    assert len(run.descents) == len(lrs)
    for lr, descent in zip(lrs, run.descents):  # one run, one picture: each path on its own
        rows = descent.rows
        points = np.array([(row.x, row.y) for row in rows])
        expected = (1 - 2 * lr) ** np.arange(21)[:, None] * np.array([3.0, -4.0])
        np.testing.assert_allclose(points, expected, rtol=1e-13, atol=0, err_msg=f"lr {lr}")  # 20 roundings
        assert [row.step for row in rows] == list(range(21))
        assert [row.lr for row in rows] == [lr] * 20 + [None]
        for row in rows:  # f and its gradient are recorded at the point of the same row
            assert row.f == pytest.approx(row.x**2 + row.y**2, rel=1e-15)
            assert (row.dfdx, row.dfdy) == (2 * row.x, 2 * row.y)


def test_cli_prints_f_and_gradient_and_leaves_a_run_folder(tmp_path):
    result = run_cli("descend", CONFIGS / "paraboloid.yaml", "--runs-dir", tmp_path)
    assert result.returncode == 0, result.stderr
    assert "start: (x, y) = (3, -4)   f = 25   gradient = [6, -8]" in result.stdout
    assert "sgd lr=0.1, after 50 steps" in result.stdout and "converged" in result.stdout
    (folder,) = (tmp_path / "paraboloid").iterdir()
    assert {p.name for p in folder.iterdir()} == {"config.yaml", "trajectory.csv", "descent.png"}
    assert (
        load_descent_config(folder / "config.yaml").to_dict()
        == load_descent_config(CONFIGS / "paraboloid.yaml").to_dict()
    )
    with open(folder / "trajectory.csv") as file:
        rows = list(csv.DictReader(file))
    assert list(rows[0]) == ["step", "x", "y", "f", "df/dx", "df/dy", "lr"]
    assert rows[0] == {
        "step": "0",
        "x": "3.0",
        "y": "-4.0",
        "f": "25.0",
        "df/dx": "6.0",
        "df/dy": "-8.0",
        "lr": "0.1",
    }
    assert len(rows) == 51 and rows[-1]["lr"] == ""


def test_mgtrain_descend_is_a_subcommand(tmp_path):
    result = run_cli("descend", CONFIGS / "himmelblau.yaml", "start=[-1,-1]", "--runs-dir", tmp_path)
    assert result.returncode == 0, result.stderr
    assert "(x, y) = (-3.77931, -3.28319)   f = " in result.stdout  # a different minimum than from (0, 0)


def test_lr_compare_tells_slow_good_oscillating_and_diverging_apart(tmp_path):
    run = descend(CONFIGS / "lr_compare.yaml", runs_dir=tmp_path)
    verdicts = [descent.verdict.split()[0] for descent in run.descents]
    assert [descent.label for descent in run.descents] == [
        "sgd lr=0.01",
        "sgd lr=0.1",
        "sgd lr=0.9",
        "sgd lr=1.01",
    ]
    assert verdicts == ["slow", "converged", "oscillating", "diverging"]
    header = (run.folder / "trajectory.csv").read_text().splitlines()[0]
    assert header == "variant,step,x,y,f,df/dx,df/dy,lr"
    assert (run.folder / "descent.png").read_bytes()[:4] == b"\x89PNG"


def test_a_path_that_overflows_stops_and_still_draws(tmp_path, write_config):
    text = "function: rosenbrock\nstart: [-1.5, 2]\noptimizer: {type: sgd, lr: 0.01}\nsteps: 200\n"
    with np.errstate(all="raise"):  # nothing may leak a floating-point warning either
        run = descend(write_config(text), runs_dir=tmp_path)
    descent = run.descents[0]
    assert descent.status == "diverged" and descent.verdict.startswith("diverged")
    assert len(descent.rows) < 20 and not np.isfinite(descent.rows[-1].f)
    assert (run.folder / "descent.png").stat().st_size > 10_000


def test_visible_part_cuts_a_path_where_it_leaves_the_box():
    box = ((-10, 10), (-10, 10))
    points = np.array([(0.0, 0.0), (5.0, 5.0), (20.0, 5.0), (np.inf, 0.0)])
    np.testing.assert_array_equal(visible_part(points, box), [(0, 0), (5, 5), (10, 5)])
    np.testing.assert_array_equal(visible_part(points[:2], box), points[:2])


def test_expression_gradient_matches_the_derivative_written_out(tmp_path, write_config):
    text = 'expression: "x**2 + 3*y**2 - x*y"\nstart: [1, 2]\noptimizer: {type: sgd, lr: 0.05}\nsteps: 1\n'
    first = descend(write_config(text), runs_dir=tmp_path).descents[0].rows[0]
    assert (first.f, first.dfdx, first.dfdy) == (11.0, 2 * 1 - 2, 6 * 2 - 1)


def test_every_allowed_function_differentiates_like_finite_differences():
    surface = Surface("sin(x)*exp(y) + log(1 + x**2) - sqrt(abs(y) + 1) / tanh(x + 2) + cos(pi*x*y) + -x/3")
    point = mg.tensor([0.7, -0.4])
    surface(point[0], point[1]).backward()
    at = lambda x, y: surface.grid(np.array([x]), np.array([y]))[0]  # noqa: E731
    h = 1e-6
    numeric = [
        (at(0.7 + h, -0.4) - at(0.7 - h, -0.4)) / (2 * h),
        (at(0.7, -0.4 + h) - at(0.7, -0.4 - h)) / (2 * h),
    ]
    np.testing.assert_allclose(point.grad, numeric, rtol=1e-8)


@pytest.mark.parametrize(
    "formula, expected",
    [
        ("x.__class__", "attribute access"),
        ("().__class__.__bases__[0].__subclasses__()", "not allowed"),
        ('__import__("os").system("echo hacked")', "not allowed"),
        ("eval('x')", 'calling "eval" is not allowed'),
        ("open('f') + x", 'calling "open" is not allowed'),
        ("z + x", 'the name "z" is not allowed'),
        ("sine(x)", 'calling "sine" is not allowed'),
        ("x^2 + y", "write x**2 for a power"),
        ("'x' * 3", "the value 'x' is not allowed"),
        ("[x, y]", "a list"),
        ("x if y else 1", "if / else"),
        ("lambda: x", "lambda"),
        ("x +", "not a formula that can be read"),
        ("3 + 4", "neither x nor y"),
        ("x + sin", "needs its argument in parentheses"),
    ],
)
def test_formulas_allow_only_the_listed_syntax(formula, expected):
    with pytest.raises(FormulaError) as caught:
        parse_formula(formula)
    assert expected in str(caught.value)


def test_a_bad_expression_in_a_config_names_its_line(write_config):
    path = write_config('start: [0, 0]\nexpression: "x.__class__"\noptimizer: {type: sgd, lr: 0.1}\n')
    with pytest.raises(ConfigError) as caught:
        load_descent_config(path)
    assert f"{path}, line 2: expression = 'x.__class__' is not valid: attribute access" in str(caught.value)


def test_formulas_are_never_evaluated_as_python(tmp_path, write_config, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("eval/exec must never run")

    # matplotlib imports parts of itself (contourpy, PIL's PNG writer) on first use, and importing
    # runs a module's code with exec: draw once first, so only the formula's evaluation is watched
    figure = Figure()
    figure.subplots().contourf(np.eye(3))
    figure.savefig(io.BytesIO(), format="png")
    monkeypatch.setattr(builtins, "eval", refuse)
    monkeypatch.setattr(builtins, "exec", refuse)
    text = 'expression: "(x - 1)**2 + (y + 2)**2"\nstart: [0, 0]\noptimizer: {type: sgd, lr: 0.5}\nsteps: 3\n'
    end = descend(write_config(text), runs_dir=tmp_path).descents[0].rows[-1]
    assert (end.x, end.y) == (1.0, -2.0)  # lr 0.5 on a round bowl of curvature 2: one step to the minimum


@pytest.mark.parametrize(
    "text, overrides, expected",
    [
        (PARABOLOID.replace("function: paraboloid\n", ""), [], "exactly one of the two"),
        (PARABOLOID.replace("optimizer: {type: sgd, lr: 0.1}\n", ""), [], "give exactly one of optimizer"),
        (PARABOLOID, ["function=parabola"], 'no function called "parabola". Did you mean "paraboloid"?'),
        (PARABOLOID, ["function.a=3"], "unknown key function.a"),
        (PARABOLOID, ["start=[1, 2, 3]"], "start = [1, 2, 3] is not valid"),
        (PARABOLOID, ["steps=0"], "steps = 0 is out of range: it must be in [1, 100000]"),
        (PARABOLOID, ["optimizer.lr=-1"], "optimizer.lr = -1 is out of range: it must be > 0"),
        (PARABOLOID, ["stpes=3"], 'unknown key stpes. Did you mean "steps"?'),
        (
            "function: bowl\nstart: [1, 1]\ncompare:\n  - {type: sgd, lr: 0.1}\n  - {type: sgd, lr: -2}\n",
            [],
            "line 5: compare.1.lr = -2 is out of range",
        ),
        (
            "function: bowl\nstart: [1, 1]\ncompare:\n  - {type: sgd, lrr: 0.1}\n",
            [],
            'unknown key compare.0.lrr. Did you mean "lr"?',
        ),
        (
            "function: {type: bowl, a: 0}\nstart: [1, 1]\noptimizer: sgd\n",
            [],
            "function.a = 0 is out of range: it must be > 0",
        ),
    ],
)
def test_config_mistakes_are_clear_errors(write_config, text, overrides, expected):
    with pytest.raises(ConfigError) as caught:
        load_descent_config(write_config(text), overrides)
    assert expected in str(caught.value)


def test_a_start_where_f_is_undefined_is_an_error_before_any_folder(tmp_path, write_config):
    text = 'expression: "log(x) + y**2"\nstart: [-1, 0]\noptimizer: {type: sgd, lr: 0.1}\n'
    with pytest.raises(UserError) as caught:
        descend(write_config(text), runs_dir=tmp_path / "runs")
    assert "not defined" in str(caught.value) and "Choose another start" in str(caught.value)
    assert not (tmp_path / "runs").exists()


@pytest.fixture
def halving_optimizer():
    """An optimizer registered by a test, as a student's or another module's would be."""

    @OPTIMIZERS.register("halving_test")
    class Halving:
        def __init__(self, lr: float = 1.0):
            self.lr = lr

        def step(self, parameters):
            for p in parameters:
                p.data -= 0.5 * self.lr * p.grad

    yield
    del OPTIMIZERS._entries["halving_test"]
    OPTIMIZERS._schemas.pop("halving_test", None)


def test_any_registered_optimizer_and_loop_callback_drive_the_descent(
    tmp_path, write_config, halving_optimizer
):
    class Decay(Callback):  # the seam a learning-rate schedule uses: set optimizer.lr before each step
        def on_step_begin(self, state):
            state.optimizer.lr = 0.5 / (1 + state.step)

    run = descend(
        write_config(PARABOLOID),
        ["optimizer={type: halving_test}", "steps=3"],
        runs_dir=tmp_path,
        callbacks=[Decay()],
    )
    rows = run.descents[0].rows
    assert [row.lr for row in rows] == [0.5, 0.25, 0.5 / 3, None]
    x = 3.0
    for row in rows[:-1]:
        assert row.x == x
        x -= 0.5 * row.lr * 2 * x


def test_builtin_functions_have_their_minima_where_they_say():
    for name in FUNCTIONS.names():
        surface = FUNCTIONS.build(FUNCTIONS.schema(name)(type=name))
        for x, y in surface.minima:
            point = mg.tensor([x, y], dtype=np.float64)
            surface(point[0], point[1]).backward()
            assert np.linalg.norm(point.grad) < 1e-4, (name, x, y, point.grad)


def test_derivative_config_shows_the_slope_of_a_function_of_x(tmp_path):
    run = descend(CONFIGS / "derivative.yaml", runs_dir=tmp_path)
    first, last = run.descents[0].rows[0], run.descents[0].rows[-1]
    assert (first.f, first.dfdx, first.dfdy) == (3.0, 4.0, 0.0)  # f = x**2 - 2x, f' = 2x - 2 at x = 3
    assert last.x == pytest.approx(1.0, abs=1e-3) and last.y == 0.0
    assert not run.surface.uses_y and (run.folder / "descent.png").exists()


def test_verdicts_for_a_saddle(tmp_path, write_config):
    text = "function: saddle\nstart: [3, 0]\noptimizer: {type: sgd, lr: 0.1}\nsteps: 50\n"
    on_the_ridge = descend(write_config(text), runs_dir=tmp_path).descents[0]
    assert on_the_ridge.rows[-1].f == pytest.approx(0, abs=1e-8)  # the gradient vanished, but
    assert on_the_ridge.verdict.startswith("a saddle point, not a minimum")  # f curves down along y
    assert "eigenvalues are -2, 2" in on_the_ridge.verdict
    escaping = descend(write_config(text), ["start=[3, 0.001]"], runs_dir=tmp_path).descents[0]
    assert escaping.verdict.startswith("still going downhill") and escaping.rows[-1].f < -50


def test_a_schedule_sets_the_lr_of_every_step(tmp_path, write_config):
    run = descend(
        write_config(PARABOLOID), ["schedule={type: exponential, gamma: 0.5}", "steps=4"], runs_dir=tmp_path
    )
    rows = run.descents[0].rows
    assert [row.lr for row in rows] == [
        0.1,
        0.05,
        0.025,
        0.0125,
        None,
    ]  # lr * gamma**step: an epoch is one step here
    x = 3.0
    for row in rows:
        assert row.x == pytest.approx(x, rel=1e-15)
        x *= 1 - 2 * (row.lr or 0)
    assert "schedule:\n  type: exponential" in (run.folder / "config.yaml").read_text()


def test_optimizers_config_momentum_and_adam_leave_sgd_behind_in_the_valley(tmp_path):
    run = descend(CONFIGS / "optimizers.yaml", runs_dir=tmp_path)
    sgd, momentum, adam = (descent.rows[-1].f for descent in run.descents)
    assert sgd > 1 and momentum < 0.1 and adam < 0.3  # from f = 12.5 at the start; the minimum is 0
    assert [descent.label for descent in run.descents] == [
        "sgd lr=0.001",
        "sgd lr=0.001 momentum=0.9",
        "adam lr=0.1",
    ]


def test_a_training_config_given_to_descend_names_the_command_that_fits():
    with pytest.raises(
        ConfigError, match=r"is a config for `mgtrain train` \(it has data, loss, model, trainer\)"
    ):
        load_descent_config(CONFIGS / "linreg.yaml")


def test_an_expression_override_replaces_the_files_function_and_compare_its_optimizer():
    config = load_descent_config(
        CONFIGS / "himmelblau.yaml",
        ["expression=x**2 + y**2", "compare=[{type: sgd, lr: 0.1}, {type: adam, lr: 0.1}]"],
    )
    assert config.function is None and config.expression == "x**2 + y**2"
    assert config.optimizer is None and [o.type for o in config.compare] == ["sgd", "adam"]
    with pytest.raises(ConfigError, match="exactly one of the two"):  # both set by the user: both kept
        load_descent_config(CONFIGS / "himmelblau.yaml", ["expression=x**2", "function=paraboloid"])


@pytest.mark.parametrize(
    "steps, expected", [(500, "slow: near a minimum but not at it"), (3000, "converged")]
)
def test_a_point_in_rosenbrocks_flat_valley_is_converged_only_when_the_minimum_is_close(
    tmp_path, steps, expected
):
    run = descend(
        CONFIGS / "optimizers.yaml", [f"steps={steps}", "compare=[{type: sgd, lr: 0.001, momentum: 0.9}]"],
        runs_dir=tmp_path,
    )  # fmt: skip
    descent = run.descents[0]
    assert descent.verdict.startswith(expected)
    if (
        steps == 500
    ):  # f = 0.0044 and a tiny gradient, yet (1, 1) is about 0.14 away: the verdict says how far
        last = descent.rows[-1]
        far = math.hypot(1 - last.x, 1 - last.y)
        estimate = float(re.search(r"about ([0-9.e-]+) further on", descent.verdict).group(1))
        assert last.f < 0.01 and estimate == pytest.approx(far, rel=0.2)


@pytest.mark.filterwarnings("error")  # matplotlib's overflow warning included
def test_a_huge_learning_rate_leaves_f_drawn_up_to_where_it_leaves_the_plot(tmp_path, monkeypatch):
    import trainer.teaching.descent.plots as descent_plots

    figures = []
    monkeypatch.setattr(descent_plots, "save", lambda figure, path: figures.append(figure))
    run = descend(CONFIGS / "paraboloid.yaml", ["optimizer.lr=1e6"], runs_dir=tmp_path)
    assert run.descents[0].verdict.startswith("diverged")
    f_axes = next(axes for axes in figures[0].axes if axes.get_title() == "f at each step")
    low, high = f_axes.get_ylim()
    assert high == 25 * descent_plots.F_CEILING
    f = f_axes.get_lines()[0].get_ydata()
    assert low <= f[0] == 25 <= high and f[1] > high  # the start in view, and the line leaving it at the top
