"""What the run folder's pictures show (issue 15, item 16): a diverged run's loss.png marks where the
loss left the plot, loss.png has a panel of the validation metrics, the decision boundary names its
classes, and a legend beside the axes is inside the saved picture."""

import struct

import pytest

import trainer
from tests.conftest import CONFIGS
from trainer.runs import plots


@pytest.fixture
def drawn(monkeypatch):
    """The figures the run saves, by file name (the PNGs are written as usual)."""
    figures = {}
    save = plots.save

    def keep(figure, path, **options):
        figures[path.name] = figure
        save(figure, path, **options)

    monkeypatch.setattr(plots, "save", keep)
    return figures


def png_size(path) -> tuple[int, int]:
    return struct.unpack(">II", path.read_bytes()[16:24])


def labels(axes) -> list[str]:
    return [text.get_text() for text in axes.get_legend().get_texts()]


def test_a_diverged_runs_loss_plot_marks_where_the_loss_left_it(tmp_path, drawn):
    run = trainer.train(CONFIGS / "linreg.yaml", ["optimizer.lr=1.5", "trainer.epochs=5"], runs_dir=tmp_path)
    assert run.summary["status"] == "diverged"
    (marked,) = [label for label in labels(drawn["loss.png"].axes[0]) if label.startswith("diverged")]
    assert "at step" in marked
    calm = trainer.train(CONFIGS / "linreg.yaml", ["trainer.epochs=3"], runs_dir=tmp_path)
    assert not any(label.startswith("diverged") for label in labels(drawn["loss.png"].axes[0]))
    top, metrics = drawn["loss.png"].axes  # the second panel: the validation metric of each epoch
    assert labels(metrics) == ["validation r2"]
    assert list(metrics.get_lines()[0].get_ydata()) == [logs["val_r2"] for logs in calm.history]


def test_the_decision_boundary_names_each_class_in_a_legend_inside_the_picture(tmp_path, drawn):
    run = trainer.train(CONFIGS / "spiral.yaml", ["trainer.epochs=1"], runs_dir=tmp_path)
    legend = drawn["decision_boundary.png"].axes[0].get_legend()
    assert [text.get_text() for text in legend.get_texts()] == ["arm 0", "arm 1", "arm 2"]
    width, _ = png_size(run.folder / "decision_boundary.png")
    assert width > 6 * 110  # the legend beside the axes widened the saved picture rather than being cut off
