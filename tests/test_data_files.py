"""The user's own data files at their edges: encodings, odd CSVs, NumPy files that are not clean arrays,
NaN and infinity, and class names read from a CSV or a .npy of text (issue 15, items 10 and 12)."""

import subprocess
import sys

import numpy as np
import pytest

import trainer
from tests.conftest import ROOT
from tests.test_data import CSV_CONFIG, splits_for
from trainer.errors import UserError

NPZ_CONFIG = "data: {type: npz, path: d.npz, val_fraction: 0.25}\nmodel: linear\nloss: mse\noptimizer: {type: sgd, lr: 0.1}\n"
NPY_CONFIG = "data: {type: npy, x_path: x.npy, y_path: y.npy, val_fraction: 0.25}\nmodel: linear\nloss: mse\noptimizer: {type: sgd, lr: 0.1}\n"


def rows(n=8, target=lambda i: i * 3):
    return "".join(f"{i},{i * 2},{target(i)}\n" for i in range(n))


def error_for(write_config, tmp_path, text=CSV_CONFIG, overrides=()):
    with pytest.raises(UserError) as caught:
        splits_for(write_config, overrides, text=text)
    return str(caught.value)


def test_a_byte_order_mark_is_not_part_of_the_first_columns_name(write_config, tmp_path):
    (tmp_path / "d.csv").write_bytes(
        b"\xef\xbb\xbfy,a,b\n" + "".join(f"{i * 3}.5,{i},{i}\n" for i in range(8)).encode()
    )
    splits = splits_for(write_config, text=CSV_CONFIG)
    assert splits.dataset.feature_names == ["a", "b"] and splits.dataset.target_names == ["y"]


def test_a_latin_1_csv_names_its_line_and_reads_with_data_encoding(write_config, tmp_path):
    drinks = ["th\xe9", "caf\xe9"]
    (tmp_path / "d.csv").write_bytes(("a,b,y\n" + rows(8, lambda i: drinks[i % 2])).encode("latin-1"))
    message = error_for(write_config, tmp_path)
    assert "d.csv, line 2: byte b'\\xe9' is not utf-8 text" in message and "data.encoding" in message
    splits = splits_for(write_config, ["data.encoding=latin-1"], text=CSV_CONFIG)  # now a class named café
    assert splits.dataset.target_names == ["café", "thé"]
    assert 'data.encoding: "klingon" is not a text encoding' in error_for(
        write_config, tmp_path, overrides=["data.encoding=klingon"]
    )


def test_a_binary_file_given_as_a_csv_is_refused(write_config, tmp_path):
    (tmp_path / "d.csv").write_bytes(b"PK\x03\x04\x00\x00garbage")
    assert "is binary (it holds NUL bytes), not a CSV text file" in error_for(write_config, tmp_path)


def test_a_csv_with_only_the_target_or_a_column_named_twice(write_config, tmp_path):
    (tmp_path / "d.csv").write_text("y\n" + "".join(f"{i}.5\n" for i in range(8)))
    assert 'no column besides the target "y"' in error_for(write_config, tmp_path)
    (tmp_path / "d.csv").write_text("a,b,a,y\n" + "".join(f"{i},{i},{i},{i}.5\n" for i in range(8)))
    assert 'names column "a" 2 times (columns 1, 3)' in error_for(write_config, tmp_path)


@pytest.mark.parametrize("cell", ["nan", "inf", "-Infinity"])
def test_nan_or_inf_in_a_csv_names_its_line_and_column(write_config, tmp_path, cell):
    (tmp_path / "d.csv").write_text("a,b,y\n" + rows(3) + f"1,{cell},2.5\n")
    assert f"d.csv, line 5, column \"b\": '{cell}' is not a finite number" in error_for(
        write_config, tmp_path
    )


def test_nan_in_npz_features_or_targets_names_row_and_column(write_config, tmp_path):
    X, y = np.ones((8, 3)), np.linspace(0, 1, 8)
    X[5, 2] = np.nan
    np.savez(tmp_path / "d.npz", X=X, y=y)
    assert "the inputs hold nan at row 5, column 2" in error_for(write_config, tmp_path, NPZ_CONFIG)
    y[3] = np.inf
    np.savez(tmp_path / "d.npz", X=np.ones((8, 3)), y=y)
    assert "the targets hold inf at row 3, column 0" in error_for(write_config, tmp_path, NPZ_CONFIG)


def save_bad_npy(tmp_path, kind):
    path = tmp_path / "x.npy"
    if kind == "object":
        np.save(path, np.array([{"a": 1}] * 8, dtype=object), allow_pickle=True)
    elif kind == "structured":
        np.save(path, np.zeros(8, dtype=[("a", "f8"), ("b", "i4")]))
    elif kind == "truncated":
        np.save(path, np.ones((8, 2)))
        path.write_bytes(path.read_bytes()[:150])
    elif kind == "garbage":
        path.write_bytes(b"this is not a NumPy file at all\n" * 4)
    elif kind == "text":
        np.save(path, np.array([["a", "b"]] * 8))
    elif kind == "npz":
        np.savez(path.with_suffix(".npz"), X=np.ones((8, 2)))
        path.with_suffix(".npz").rename(path)


@pytest.mark.parametrize(
    "kind, expected",
    [
        ("object", "holds Python objects (an object array), which a config never loads"),
        ("structured", "the inputs are an array of [('a', '<f8'), ('b', '<i4')], not of numbers"),
        ("truncated", "is cut short or damaged"),
        ("garbage", "is not a NumPy file"),
        ("text", "the inputs are an array of <U1, not of numbers"),
        ("npz", "is an .npz archive of named arrays, not a single .npy array: use data: {type: npz"),
    ],
)
def test_numpy_files_that_are_not_clean_arrays_are_clear_errors(write_config, tmp_path, kind, expected):
    save_bad_npy(tmp_path, kind)
    np.save(tmp_path / "y.npy", np.arange(8.0))
    message = error_for(write_config, tmp_path, NPY_CONFIG)
    assert expected in message and "allow_pickle" not in message


def test_a_npy_given_where_an_npz_is_expected(write_config, tmp_path):
    np.save(tmp_path / "d.npz.npy", np.ones((8, 2)))
    (tmp_path / "d.npz.npy").rename(tmp_path / "d.npz")
    assert "is a single NumPy array (.npy), not an .npz archive" in error_for(
        write_config, tmp_path, NPZ_CONFIG
    )


def test_a_csv_of_class_names_or_few_whole_numbers_is_a_classification(write_config, tmp_path):
    species = ["setosa", "virginica", "versicolor"]
    (tmp_path / "d.csv").write_text("a,b,y\n" + rows(12, lambda i: species[i % 3]))
    dataset = splits_for(write_config, text=CSV_CONFIG).dataset
    assert dataset.task == "classification" and dataset.target_names == sorted(
        species
    )  # LabelEncoder's order
    assert dataset.target_column == "y" and list(dataset.y[:3]) == [0, 2, 1]
    (tmp_path / "d.csv").write_text("a,b,y\n" + rows(12, lambda i: [2, 10, 7][i % 3]))
    dataset = splits_for(write_config, text=CSV_CONFIG).dataset
    assert dataset.task == "classification" and dataset.target_names == ["2", "7", "10"]  # as numbers sort
    (tmp_path / "d.csv").write_text("a,b,y\n" + rows(30))  # 30 distinct whole numbers: values
    assert splits_for(write_config, text=CSV_CONFIG).dataset.task == "regression"
    forced = splits_for(write_config, ["data.task=classification"], text=CSV_CONFIG).dataset
    assert forced.task == "classification" and forced.n_classes == 30


def test_a_npy_of_class_names_is_a_classification(write_config, tmp_path):
    np.save(tmp_path / "x.npy", np.arange(16.0).reshape(8, 2))
    np.save(tmp_path / "y.npy", np.array(["cat", "dog"] * 4))
    dataset = splits_for(write_config, text=NPY_CONFIG).dataset
    assert dataset.task == "classification" and dataset.target_names == ["cat", "dog"]
    assert "text, which regression cannot fit" in error_for(
        write_config, tmp_path, NPY_CONFIG, ["data.task=regression"]
    )


def test_class_names_from_a_csv_reach_the_predictions_of_evaluate(tmp_path):
    rng = np.random.default_rng(0)
    points = rng.normal(size=(120, 2))
    names = np.where(points[:, 0] + points[:, 1] > 0, "yes", "no")
    lines = "".join(f"{x:.4f},{y:.4f},{name}\n" for (x, y), name in zip(points, names))
    (tmp_path / "d.csv").write_text("a,b,answer\n" + lines)
    (tmp_path / "c.yaml").write_text(
        "data: {type: csv, path: d.csv, target: answer, val_fraction: 0.25}\n"
        "model: logistic\nloss: bce\noptimizer: {type: sgd, lr: 0.5}\ntrainer: {epochs: 5}\n"
    )
    run = trainer.train(tmp_path / "c.yaml", runs_dir=tmp_path / "runs")
    assert run.summary["val_accuracy"] > 0.9
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "evaluate.py"), str(run.folder), "--data", str(tmp_path / "d.csv"),
         "--output", str(tmp_path / "p.csv")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    predictions = (tmp_path / "p.csv").read_text().splitlines()
    assert predictions[0] == "row,target,prediction,p_no,p_yes" and predictions[1].split(",")[1] == names[0]
    cells = [line.split(",") for line in predictions[1:]]
    assert {row[2] for row in cells} == {"yes", "no"}
    for row in cells:  # each row's probabilities add up to one, and the predicted class has the larger
        p_no, p_yes = float(row[3]), float(row[4])
        assert p_no + p_yes == pytest.approx(1, abs=1e-5) and (p_yes > p_no) == (row[2] == "yes")


@pytest.mark.parametrize("command", ["train", "gradcheck", "evaluate"])
def test_a_non_utf8_csv_is_a_clear_error_in_every_command(tmp_path, command):
    (tmp_path / "d.csv").write_bytes(b"a,b,y\n" + rows(6).encode() + b"1,2,\xff\xfe\n")
    (tmp_path / "c.yaml").write_text(
        "data: {type: csv, path: d.csv, target: y, val_fraction: 0.25}\nmodel: linear\nloss: mse\noptimizer: {type: sgd, lr: 0.1}\n"
    )
    if command == "evaluate":  # a good run, then new rows in a bad file
        (tmp_path / "good.csv").write_text("a,b,y\n" + rows(8, lambda i: i + 0.5))
        (tmp_path / "g.yaml").write_text((tmp_path / "c.yaml").read_text().replace("d.csv", "good.csv"))
        run = trainer.train(tmp_path / "g.yaml", ["trainer.epochs=1"], runs_dir=tmp_path / "runs")
        arguments = [run.folder, "--data", tmp_path / "d.csv"]
    else:
        arguments = [tmp_path / "c.yaml"] + (["--runs-dir", tmp_path / "runs"] if command == "train" else [])
    result = subprocess.run(
        [sys.executable, "-m", "trainer", command, *map(str, arguments)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "d.csv, line 8: byte b'\\xff' is not utf-8 text" in result.stderr
    if command == "train":
        assert not (tmp_path / "runs").exists()  # no run folder left behind


def test_gradcheck_with_nan_in_the_data_names_the_cell(tmp_path):
    (tmp_path / "d.csv").write_text("a,b,y\n" + rows(6, lambda i: i + 0.5) + "1,nan,2.5\n")
    (tmp_path / "c.yaml").write_text(
        "data: {type: csv, path: d.csv, target: y, val_fraction: 0.25}\nmodel: linear\nloss: mse\n"
        "optimizer: {type: sgd, lr: 0.1}\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "trainer", "gradcheck", str(tmp_path / "c.yaml")],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "d.csv, line 8, column \"b\": 'nan' is not a finite number" in result.stderr
