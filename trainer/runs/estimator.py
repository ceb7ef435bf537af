"""trainer.Estimator: a training config as a scikit-learn estimator, for cross_val_score, GridSearchCV
and Pipeline.

    search = GridSearchCV(trainer.Estimator("configs/logreg.yaml"), {"optimizer__lr": [0.01, 0.1]})
    search.fit(X, y).best_params_

The config is a path, YAML text or a dict; its `data` block may be left out, since the data are the
rows given to `fit`: only the block's `val_fraction` and `standardize` are used (no validation split
without the block). Its keys are the estimator's parameters, nested with `__` (`optimizer__lr`,
`trainer__epochs`); they are checked when `fit` reads the config, as scikit-learn's own are. A loss
for classes (cross_entropy, bce, ...) makes a classifier (`predict_proba`, accuracy as the score),
any other a regressor (R^2). Nothing is written unless `runs_dir=` asks for run folders.
"""

from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import ClassifierTags, RegressorTags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data
from threadpoolctl import threadpool_limits

from trainer.config.load import load_config, raw_config
from trainer.config.schema import COMPONENTS, Config
from trainer.contracts import LoopState
from trainer.data.dataset import DataComponent, Dataset, classification
from trainer.data.splits import load_splits
from trainer.errors import ConfigError
from trainer.nn.metrics import class_probabilities, predicted_classes
from trainer.nn.metrics import predict as raw_outputs
from trainer.runs.build import Experiment, build, rng_for
from trainer.runs.callbacks import early_stopping, learning_callbacks
from trainer.runs.compare import flattened
from trainer.runs.live import feedback
from trainer.training.callbacks import ProgressBar
from trainer.training.loop import fit, steps_per_epoch
from trainer.training.stopping import DivergenceGuard

# The config of Estimator(): a linear regression by gradient descent.
DEFAULT_CONFIG = {"model": "linear", "loss": "mse", "optimizer": {"type": "sgd", "lr": 0.05}}
ROWS = "fit(X, y)"  # what the data is called in messages: the rows given to fit
OWN = ("config", "runs_dir", "progress")  # the parameters that are not config keys


class Estimator(BaseEstimator):
    """A config as a scikit-learn regressor or classifier; see the module's docstring.

    Fitted attributes: `model_`, `history_` (the logs of every epoch), `loss_curve_` (the training
    loss of every epoch), `n_iter_` (epochs), `n_features_in_`, `classes_` (a classifier's), `config_`
    (the resolved config, as a dict) and, with runs_dir=, `run_` (the run, in its folder)."""

    def __init__(self, config=None, *, runs_dir=None, progress=False, **params):
        self.config = config
        self.runs_dir = runs_dir
        self.progress = progress
        self._params = params  # config keys, `a__b` for a.b

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The estimator's parameters; `deep=True` adds every key of its config, `__`-nested."""
        params = {"config": self.config, "runs_dir": self.runs_dir, "progress": self.progress, **self._params}
        return (flattened(self._raw_config(), "__") | params) if deep else params

    def set_params(self, **params) -> "Estimator":
        """Set parameters: `config`, `runs_dir`, `progress` or config keys (`optimizer__lr=0.1`),
        checked when `fit` reads the config."""
        for key, value in params.items():
            if key in OWN:
                setattr(self, key, value)
            else:
                self._params[key] = value
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        if self._is_classifier():
            tags.estimator_type, tags.classifier_tags = "classifier", ClassifierTags()
        else:
            tags.estimator_type, tags.regressor_tags = "regressor", RegressorTags()
            tags.target_tags.multi_output = True
        return tags

    def fit(self, X, y) -> "Estimator":
        """Train a new model on the rows X with targets y for the config's epochs."""
        config = self._config()
        classifier = self._is_classifier()
        X, y = validate_data(
            self, X, y, dtype=np.float64, multi_output=not classifier, y_numeric=not classifier
        )
        if classifier:
            check_classification_targets(y)
            self.classes_, labels = np.unique(y, return_inverse=True)
            if len(self.classes_) < 2:
                raise ValueError(
                    f"a classifier needs at least 2 classes to learn from, and y has 1 class ({self.classes_[0]!r})."
                )
            dataset = classification(X, labels)
        else:
            target = y.reshape(len(y), -1)
            dataset = Dataset(
                X, target, [f"x{i}" for i in range(X.shape[1])], [f"y{j}" for j in range(target.shape[1])]
            )
        self._target_ndim = np.ndim(y)
        experiment = build(config, load_splits(config.data, config.seed, config.dtype, dataset))
        self._experiment, self._batches, self._steps = experiment, rng_for(config.seed, "batches"), 0
        self._scaler = (experiment.splits.feature_mean, experiment.splits.feature_scale)
        self.config_, self.model_ = config.to_dict(), experiment.model
        self.history_: list[dict] = []
        if self.runs_dir is None:
            self._train_epochs(experiment.splits.train, config.trainer.epochs)
        else:
            self._train_in_folder(experiment)
        return self

    def partial_fit(self, X, y, classes=None) -> "Estimator":
        """One more epoch on the rows X, y (scaled as in the first fit); the first call (or the first
        after unpickling) fits, for the config's epochs. `classes`, which scikit-learn passes, is not
        needed: the first fit's `classes_` stay, and later rows may hold only those."""
        if not hasattr(self, "_experiment"):
            return self.fit(X, y)
        X, y = validate_data(
            self, X, y, dtype=np.float64, reset=False, multi_output=not self._is_classifier()
        )
        if self._is_classifier():
            unknown = set(np.unique(y)) - set(self.classes_)
            if unknown:
                raise ValueError(
                    f"partial_fit got classes {sorted(unknown)} that the first fit had not seen: {list(self.classes_)}."
                )
            y = np.searchsorted(self.classes_, y)
        else:
            y = y.reshape(len(y), -1)
        rows = (
            self._scaled(X).astype(self.config_["dtype"]),
            y.astype(self._experiment.splits.train[1].dtype),
        )
        self._train_epochs(rows, 1)
        return self

    @available_if(lambda self: self._is_classifier())
    def predict_proba(self, X) -> np.ndarray:
        """(N, K) probabilities of the classes in `classes_`, for the rows X."""
        return class_probabilities(self._outputs(X))

    def predict(self, X) -> np.ndarray:
        outputs = self._outputs(X)
        if self._is_classifier():
            return self.classes_[predicted_classes(outputs)]
        return outputs[:, 0] if self._target_ndim == 1 else outputs

    def score(self, X, y, sample_weight=None) -> float:
        """Accuracy for a classifier, R^2 for a regressor (as scikit-learn's own estimators)."""
        from sklearn.metrics import accuracy_score, r2_score

        metric = accuracy_score if self._is_classifier() else r2_score
        return float(metric(y, self.predict(X), sample_weight=sample_weight))

    def __getstate__(self):
        # A fitted estimator pickles what predicts (model_, the scaler); its loss and optimizer are
        # closures, which do not pickle, so an unpickled one predicts and is fitted anew to train.
        state = super().__getstate__()
        state.pop("_experiment", None)
        return state

    def _outputs(self, X) -> np.ndarray:
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return raw_outputs(self.model_, self._scaled(X).astype(self.config_["dtype"]))

    def _scaled(self, X: np.ndarray) -> np.ndarray:
        """Rows scaled as the first fit scaled its training rows (with `data.standardize`)."""
        mean, scale = self._scaler
        return X if mean is None else (X - mean) / scale

    def _train_epochs(self, train: tuple[np.ndarray, np.ndarray], epochs: int) -> None:
        """Train `epochs` more epochs on `train`, validating on the first fit's validation rows."""
        experiment = self._experiment
        config, settings = experiment.config, experiment.config.trainer
        state = LoopState(
            experiment.model,
            experiment.optimizer,
            len(self.history_) + epochs,
            steps_per_epoch(len(train[0]), settings.batch_size),
            self._batches,
            epoch=len(self.history_),
            step=self._steps,
            history=self.history_,
        )
        guard = DivergenceGuard(settings.divergence_factor, config.data.standardize)
        callbacks = [*learning_callbacks(experiment), guard]
        early = early_stopping(config)
        live, terminal_bar = feedback(self.progress)
        callbacks += ([early] if early else []) + live + ([ProgressBar()] if terminal_bar else [])
        with threadpool_limits(limits=settings.blas_threads, user_api="blas"):
            fit(
                state,
                experiment.loss,
                train,
                experiment.splits.val,
                batch_size=settings.batch_size,
                callbacks=callbacks,
            )
        self._steps = state.step
        self._fitted(state.history)
        if state.status == "diverged":
            raise ConfigError(f"the training diverged: {guard.message}")

    def _train_in_folder(self, experiment: Experiment) -> None:
        from trainer.runs.folder import make_run_folder, run_lock
        from trainer.runs.provenance import config_hash, data_hash
        from trainer.runs.run import _train_in

        hashes = {"config_hash": config_hash(experiment.config), "data_hash": data_hash(experiment.splits)}
        folder = make_run_folder(Path(self.runs_dir), experiment.config.name, experiment.model)
        live, terminal_bar = feedback(self.progress)
        with run_lock(folder):
            self.run_ = _train_in(
                folder,
                experiment,
                hashes,
                None,
                resumed=False,
                callbacks=live,
                progress=terminal_bar,
                guard_memory=False,
            )
        self._steps = self.run_.summary["steps"]
        self._fitted(self.run_.history)

    def _fitted(self, history: list[dict]) -> None:
        self.history_ = history
        self.loss_curve_ = [logs["train_loss"] for logs in history]
        self.n_iter_ = len(history)

    def _raw_config(self) -> dict:
        return raw_config(DEFAULT_CONFIG if self.config is None else self.config, self._overrides())

    def _overrides(self) -> dict[str, Any]:
        return {key.replace("__", "."): value for key, value in self._params.items()}

    def _config(self) -> Config:
        """The config with the parameters set; its data block (validated as a placeholder data set
        when left out) becomes the rows given to fit."""
        raw = self._raw_config()
        block = raw.get("data")
        overrides = self._overrides()
        if not (isinstance(block, str) or isinstance(block, dict) and "type" in block):
            overrides |= {"data.type": "synthetic_linear"}  # any data set: only the split options are kept
            if block is None:
                overrides |= {"data.val_fraction": 0.0}
        config = load_config(
            DEFAULT_CONFIG if self.config is None else self.config, overrides, from_python=True
        )
        rows = DataComponent(
            type=ROWS, val_fraction=config.data.val_fraction, standardize=config.data.standardize
        )
        return config.model_copy(update={"data": rows})

    def _is_classifier(self) -> bool:
        """Whether the config's loss is for class labels (it `expects` classes or binary labels)."""
        try:
            loss: Any = self._raw_config().get("loss")
            name = loss if isinstance(loss, str) else loss["type"]
            expects = getattr(COMPONENTS["loss"].get(name)(), "expects", None) if ":" not in name else None
        except (ConfigError, TypeError, KeyError):  # a config fit will explain; until then a regressor
            return False
        return expects in ("classes", "binary")
