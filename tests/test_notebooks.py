"""The notebooks in notebooks/: stored without outputs, and run end to end in a real Jupyter kernel
(nbclient with ipykernel), each ending with a cell of assertions on its results."""

import os

import nbformat
import pytest

from tests.conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def code_cells(book):
    return [cell for cell in book.cells if cell.cell_type == "code"]


def test_the_notebooks_are_stored_without_outputs_and_end_with_assertions():
    assert [path.stem for path in NOTEBOOKS] == [
        "01_quickstart", "02_gradient_descent", "03_your_own_model", "04_sweeps_and_sklearn"
    ]  # fmt: skip
    for path in NOTEBOOKS:
        book = nbformat.read(path, as_version=4)
        nbformat.validate(book)
        stored = [cell for cell in code_cells(book) if cell.outputs or cell.execution_count is not None]
        assert not stored, (
            f"{path.name} has outputs: clear them before committing (Jupyter: Edit > Clear outputs)"
        )
        assert "assert " in code_cells(book)[-1].source, (
            f"{path.name}: its last cell should check its results"
        )


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """name -> the notebook run end to end in a new kernel (once per test module), in a copy of the
    repository's layout (so its run folders and files land in a temporary folder), with this
    checkout's trainer first on the kernel's path."""
    from nbclient import NotebookClient

    books = {}

    def execute(name: str):
        if name not in books:
            root = tmp_path_factory.mktemp(name)
            work = root / "notebooks"
            work.mkdir()
            for shared in ("configs", "data"):
                (root / shared).symlink_to(ROOT / shared)
            book = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
            client = NotebookClient(
                book, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(work)}}
            )
            path_list = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
            client.execute(
                env={**os.environ, "PYTHONPATH": path_list}
            )  # a failing cell raises, with its traceback
            books[name] = book
        return books[name]

    return execute


@pytest.mark.slow
@pytest.mark.parametrize("name", [path.stem for path in NOTEBOOKS])
def test_the_notebook_runs_in_a_real_kernel(name, executed):
    last = code_cells(executed(name))[-1]
    assert any("all checks passed" in output.get("text", "") for output in last.outputs)


@pytest.mark.slow
def test_a_run_in_a_notebook_shows_one_live_figure_and_a_bar(executed):
    book = executed("01_quickstart")
    training = next(cell for cell in code_cells(book) if cell.source.startswith("run = trainer.train("))
    images = [output for output in training.outputs if "image/png" in output.get("data", {})]
    widgets = [
        output
        for output in training.outputs
        if "application/vnd.jupyter.widget-view+json" in output.get("data", {})
    ]
    assert len(images) == 1  # the live figure, redrawn in place: no pile-up of images
    assert len(widgets) == 1  # tqdm.auto's bar
    assert "linreg" in training.outputs[-1]["data"]["text/html"]  # the Run's summary table
