"""The layout holds: imports go only downwards, no circles, short modules, no process-wide side
effects from the library, and a student's edited file is imported again."""

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

import trainer
from tests.conftest import LINREG, ROOT
from trainer.training.checkpoint import keyed_by_class, restore, snapshot

PACKAGE = ROOT / "trainer"
BASE = {"trainer.errors", "trainer.contracts", "trainer.registry", "trainer.usercode", "trainer.files"}
# each package's layer, bottom to top: a module may import its own package or a lower layer
LAYERS = {
    "nn": 1, "optim": 1, "data": 1,
    "config": 2,
    "training": 3,
    "runs": 4,
    "sweeps": 5, "teaching": 5,
    "cli": 6,
    "__main__": 7,
}  # fmt: skip
MAX_LINES = 400


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imported(path: Path) -> set[str]:
    """Every trainer module this file imports, at the top or inside a function."""
    known = modules()
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            # `from trainer.x import y` imports module trainer.x.y if there is one, else trainer.x
            names |= {
                f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in known else node.module
                for a in node.names
            }
    return {name for name in names if name in known and name.startswith("trainer")}


def layer(module: str) -> int:
    if module in BASE:
        return 0
    if module == "trainer":
        return 7  # the Python API on top of everything
    return LAYERS[module.split(".")[1]]


def package(module: str) -> str:
    return ".".join(module.split(".")[:2])


def test_every_package_has_a_layer_and_a_docstring():
    for name, path in modules().items():
        if name != "trainer" and name not in BASE:
            assert name.split(".")[1] in LAYERS, f"{name}: give its package a layer in LAYERS (and the docs)"
        if path.name == "__init__.py":
            assert ast.get_docstring(ast.parse(path.read_text())), f"{path}: say what lives there"


def test_imports_only_go_downwards():
    upward = [
        f"{name} (layer {layer(name)}) imports {target} (layer {layer(target)})"
        for name, path in modules().items()
        for target in imported(path)
        if package(target) != package(name) and layer(target) >= layer(name) and name not in BASE
    ]
    base_upward = [
        f"{name} imports {target}"
        for name in BASE
        for target in imported(modules()[name])
        if target not in BASE
    ]
    assert not upward + base_upward


def test_no_import_circle():
    graph = {name: imported(path) - {name} for name, path in modules().items()}

    def reaches(start, goal, seen):
        for target in graph.get(start, ()):
            if target == goal or (
                target not in seen and not seen.add(target) and reaches(target, goal, seen)
            ):
                return True
        return False

    circles = [name for name in graph if reaches(name, name, set())]
    assert not circles, f"modules on an import circle: {circles}"


def test_no_module_is_longer_than_400_lines():
    long = {
        name: n for name, path in modules().items() if (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert not long


def test_the_library_leaves_matplotlib_pyplot_and_the_allocator_alone(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(LINREG)
    script = textwrap.dedent(f"""
        import sys, matplotlib
        matplotlib.use("svg")
        import trainer
        run = trainer.train({str(config)!r}, runs_dir={str(tmp_path)!r})
        assert (run.folder / "loss.png").exists()
        assert matplotlib.get_backend() == "svg", matplotlib.get_backend()
        assert "matplotlib.pyplot" not in sys.modules
        assert "trainer.cli.memory" not in sys.modules  # the glibc tuning is the command line's
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr


def test_a_students_file_is_imported_again_when_it_changed(tmp_path):
    source = textwrap.dedent("""
        import mygrad as mg
        import numpy as np

        class Net:
            def __init__(self, n_inputs, n_outputs, rng):
                self.w = mg.tensor(np.full((n_inputs, n_outputs), START))
                self.b = mg.tensor(np.zeros(n_outputs))

            def __call__(self, x):
                return x @ self.w + self.b

            @property
            def parameters(self):
                return (self.w, self.b)
    """)
    model_file = tmp_path / "net.py"
    config = tmp_path / "config.yaml"
    config.write_text(LINREG.replace("model: linear", "model: net.py:Net").replace("epochs: 5", "epochs: 1"))

    def first_weight(start: float):
        model_file.write_text(f"START = {start}\n" + source)
        run = trainer.train(config, ["optimizer.lr=1e-12"], runs_dir=tmp_path / "runs")
        return run.model, float(run.model.w.data[0, 0])

    model_a, weight_a = first_weight(0.5)
    model_b, weight_b = first_weight(0.5)
    model_c, weight_c = first_weight(-3.0)
    assert type(model_a) is type(model_b)  # unchanged: the same module, the same class
    assert abs(weight_a - 0.5) < 1e-6 and abs(weight_c + 3.0) < 1e-6  # edited: the new code ran
    assert type(model_c) is not type(model_a)


class Counter:
    def __init__(self, count: int):
        self.count = count

    def state_dict(self) -> dict:
        return {"count": self.count}

    def load_state_dict(self, saved: dict) -> None:
        self.count = saved["count"]


def test_two_callbacks_of_one_class_keep_their_own_state_in_a_checkpoint():
    import mygrad as mg

    from trainer.contracts import LoopState
    from trainer.optim.optimizers import SGD

    class Model:
        parameters = (mg.tensor(np.ones(2)),)

    state = LoopState(Model(), SGD(lr=0.1), epochs=1, steps_per_epoch=1, rng=np.random.default_rng(0))
    saved = snapshot(state, [Counter(1), Counter(2)], {})
    assert list(keyed_by_class([Counter(0), Counter(0)])) == ["Counter", "Counter#2"]
    fresh = [Counter(0), Counter(0)]
    restore(state, saved, fresh)
    assert [cb.count for cb in fresh] == [1, 2]
