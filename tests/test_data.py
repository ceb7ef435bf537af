import numpy as np
import pytest
from sklearn.preprocessing import StandardScaler

from trainer.config.load import load_config
from trainer.data.splits import load_splits
from trainer.errors import UserError

CSV_CONFIG = "data: {type: csv, path: d.csv, target: y, val_fraction: 0.25, test_fraction: 0.25}\nmodel: linear\nloss: mse\noptimizer: {type: sgd, lr: 0.1}\n"


def splits_for(write_config, overrides=(), text=None):
    config = load_config(write_config(text) if text else write_config(), overrides)
    return load_splits(config.data, config.seed)


def test_split_sizes_are_disjoint_and_cover_the_data(write_config):
    splits = splits_for(
        write_config, ["data.val_fraction=0.2", "data.test_fraction=0.1", "data.standardize=false"]
    )
    (X_train, _), (X_val, _), (X_test, _) = splits.train, splits.val, splits.test
    assert (len(X_train), len(X_val), len(X_test)) == (140, 40, 20)
    rows = np.vstack([X_train, X_val, X_test])
    assert np.array_equal(np.sort(rows, axis=0), np.sort(splits.dataset.X, axis=0))
    assert not np.array_equal(X_train, splits.dataset.X[:140]), "the split should be shuffled"


def test_split_is_seeded(write_config):
    first, again = splits_for(write_config), splits_for(write_config)
    other = splits_for(write_config, ["seed=4"])
    assert np.array_equal(first.train[0], again.train[0]) and np.array_equal(first.val[1], again.val[1])
    assert not np.array_equal(first.train[0], other.train[0])


def test_standardization_is_fitted_on_the_training_split_only(write_config):
    raw = splits_for(write_config, ["data.standardize=false"])
    scaled = splits_for(write_config)
    scaler = StandardScaler().fit(raw.train[0])
    assert np.allclose(scaled.train[0], scaler.transform(raw.train[0]))
    assert np.allclose(scaled.val[0], scaler.transform(raw.val[0]))
    assert np.allclose(scaled.train[0].mean(axis=0), 0) and not np.allclose(scaled.val[0].mean(axis=0), 0)
    assert np.array_equal(scaled.train[1], raw.train[1]), "targets are not scaled"


def test_synthetic_linear_records_its_true_weights(write_config):
    splits = splits_for(write_config, ["data.noise=0.0", "data.bias=2.5"])
    data = splits.dataset
    assert np.allclose(data.X @ np.array(data.truth["weights"]) + 2.5, data.y[:, 0])
    assert data.y.shape == (200, 1)


def test_diabetes_is_loaded_through_scikit_learn(write_config):
    splits = splits_for(
        write_config,
        ["data=diabetes"],
        text="data: diabetes\nmodel: linear\nloss: mse\noptimizer: {type: sgd, lr: 0.1}\n",
    )
    assert splits.dataset.X.shape == (442, 10) and splits.dataset.feature_names[2] == "bmi"


def test_csv_selects_features_and_target(write_config, tmp_path):
    (tmp_path / "d.csv").write_text("a,name,b,y\n" + "".join(f"{i},n{i},{i * 2},{i * 3}\n" for i in range(8)))
    splits = splits_for(write_config, ["data.features=[b, a]", "data.standardize=false"], text=CSV_CONFIG)
    assert splits.dataset.feature_names == ["b", "a"]
    X, y = splits.train
    assert np.array_equal(X[:, 0], 2 * X[:, 1]) and np.array_equal(y[:, 0], 3 * X[:, 1])


def test_csv_without_the_target_column(write_config, tmp_path):
    (tmp_path / "d.csv").write_text("a,b,yy\n1,2,3\n")
    with pytest.raises(UserError, match=r'data.target: column "y" is not in .*d.csv. Did you mean "yy"\?'):
        splits_for(write_config, text=CSV_CONFIG)


def test_csv_with_a_non_numeric_cell_names_line_and_column(write_config, tmp_path):
    (tmp_path / "d.csv").write_text("a,y\n1,2\n3,oops\n")
    with pytest.raises(UserError, match=r'd.csv, line 3, column "y": \'oops\' is not a number'):
        splits_for(write_config, text=CSV_CONFIG)


def test_too_few_rows_for_the_split(write_config, tmp_path):
    (tmp_path / "d.csv").write_text("a,y\n1,2\n3,4\n")
    with pytest.raises(UserError, match="too few to hold out"):
        splits_for(write_config, text=CSV_CONFIG)
