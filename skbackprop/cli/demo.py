"""The ``demo`` subcommand: skbackprop beside scikit-learn's MLP, cross-validated.

``run_demo`` cross-validates ``SoftmaxMLPClassifier`` and ``BackpropMLPClassifier``
on digits, and ``TwoLayerSigmoidRegressor`` and ``BackpropMLPRegressor`` on
diabetes, each beside
scikit-learn's ``MLPClassifier`` / ``MLPRegressor`` with the same pipeline and
settings, and prints one table: scores,
median fit time per fold, epochs, and the gradient-check error of the fitted
skbackprop models. ``DEMO`` and ``QUICK`` are its full and ``--quick`` settings.
"""

import warnings
from dataclasses import dataclass

import numpy as np
import sklearn
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_diabetes, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold, StratifiedKFold, cross_validate
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from .. import (
    BackpropMLPClassifier,
    BackpropMLPRegressor,
    SoftmaxMLPClassifier,
    TwoLayerSigmoidRegressor,
    __version__,
    check_gradients,
)
from .gradcheck import GRADIENT_TOLERANCE


@dataclass(frozen=True)
class Task:
    """One dataset and the network both libraries fit on it."""

    dataset: str  # "digits" (classification) or "diabetes" (regression)
    hidden: int
    activation: str  # skbackprop's name; scikit-learn calls sigmoid "logistic"
    learning_rate: float
    max_iter: int
    general: bool = False  # the drop-in (BackpropMLP*), not the seeds' network

    @property
    def is_classification(self):
        return self.dataset == "digits"

    @property
    def metric(self):
        return "accuracy" if self.is_classification else "R²"

    def load(self):
        loader = load_digits if self.is_classification else load_diabetes
        return loader(return_X_y=True)


@dataclass(frozen=True)
class DemoSettings:
    cv: int
    gradcheck_samples: int
    tasks: tuple
    alpha: float = 1e-4
    batch_size: int = 200
    tol: float = 1e-4
    n_iter_no_change: int = 10


DEMO = DemoSettings(
    cv=5,
    gradcheck_samples=30,
    tasks=(
        Task("digits", 64, "relu", 1e-3, 200),
        Task("digits", 64, "relu", 1e-3, 200, general=True),
        Task("diabetes", 32, "sigmoid", 1e-2, 100),
        Task("diabetes", 100, "relu", 1e-3, 200, general=True),
    ),
)
QUICK = DemoSettings(
    cv=3,
    gradcheck_samples=10,
    tasks=(
        Task("digits", 16, "relu", 1e-2, 20),
        Task("digits", 16, "relu", 1e-2, 20, general=True),
        Task("diabetes", 16, "sigmoid", 1e-2, 20),
        Task("diabetes", 16, "relu", 1e-2, 20, general=True),
    ),
)


def _models(task, settings, random_state):
    """(skbackprop model, scikit-learn model), each scaled inside a pipeline."""
    shared = {
        "solver": "adam",
        "alpha": settings.alpha,
        "batch_size": settings.batch_size,
        "tol": settings.tol,
        "n_iter_no_change": settings.n_iter_no_change,
        "max_iter": task.max_iter,
        "random_state": random_state,
    }
    theirs = {
        "hidden_layer_sizes": (task.hidden,),
        "activation": "logistic" if task.activation == "sigmoid" else task.activation,
        "learning_rate_init": task.learning_rate,
        **shared,
    }
    if task.is_classification:
        network = BackpropMLPClassifier if task.general else SoftmaxMLPClassifier
        ours = network(
            hidden_layer_sizes=(task.hidden,),
            activation=task.activation,
            learning_rate=task.learning_rate,
            **shared,
        )
        return (
            make_pipeline(StandardScaler(), ours),
            make_pipeline(StandardScaler(), MLPClassifier(**theirs)),
        )
    if task.general:
        ours = BackpropMLPRegressor(
            hidden_layer_sizes=(task.hidden,),
            activation=task.activation,
            learning_rate=task.learning_rate,
            **shared,
        )
    else:
        ours = TwoLayerSigmoidRegressor(
            hidden_size=task.hidden, learning_rate=task.learning_rate, **shared
        )
    return tuple(
        TransformedTargetRegressor(
            make_pipeline(StandardScaler(), model), transformer=StandardScaler()
        )
        for model in (ours, MLPRegressor(**theirs))
    )


def _network(fitted):
    """The fitted network inside a (target-transformed) pipeline."""
    pipeline = getattr(fitted, "regressor_", fitted)
    return pipeline[-1]


def _gradient_check_error(fitted, X, y):
    """check_gradients' max relative error on (X, y), in the network's own inputs."""
    if isinstance(fitted, TransformedTargetRegressor):
        y = fitted.transformer_.transform(y.reshape(-1, 1)).ravel()
        fitted = fitted.regressor_
    X = fitted[:-1].transform(X)
    return check_gradients(fitted[-1], X, y).max_relative_error


def _evaluate(task, X, y, settings, cv, random_state):
    """One table row per library, and the skbackprop model's gradient-check error."""
    splitter_type = StratifiedKFold if task.is_classification else KFold
    splitter = splitter_type(n_splits=cv, shuffle=True, random_state=random_state)
    rows, error = [], None
    for library, model in zip(
        ("skbackprop", "sklearn"), _models(task, settings, random_state), strict=True
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            result = cross_validate(
                model, X, y, cv=splitter, return_estimator=True, return_indices=True
            )
        scores, fitted = result["test_score"], result["estimator"]
        cell = "n/a"
        if library == "skbackprop":
            # held-out samples of the first fold, where the loss is not yet ~0
            held_out = result["indices"]["test"][0][: settings.gradcheck_samples]
            error = _gradient_check_error(fitted[0], X[held_out], y[held_out])
            cell = f"{error:.1e}"
        rows.append(
            [
                task.dataset,
                task.metric,
                f"{library} {type(_network(fitted[0])).__name__}",
                f"{scores.mean():.3f} ± {scores.std():.3f}",
                f"{np.median(result['fit_time']):.2f} s",
                f"{np.median([_network(est).n_iter_ for est in fitted]):g}",
                cell,
            ]
        )
    return rows, error


def _format_table(header, rows):
    """Columns padded to their widest cell, numbers (from the 4th column) right."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = [
            cell.ljust(width) if i < 3 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _describe(task, X, y):
    if task.is_classification:
        data, output = f", {len(np.unique(y))} classes", "softmax"
    else:
        data, output = (
            ", target standardised too (TransformedTargetRegressor)",
            "identity",
        )
    if task.general:
        drop_in = "Classifier" if task.is_classification else "Regressor"
        data = f", BackpropMLP{drop_in} beside MLP{drop_in}"
    return (
        f"  {task.dataset:<9} {X.shape[0]} samples × {X.shape[1]} features{data}\n"
        f"  {'':<9} hidden ({task.hidden},) {task.activation}, {output} output, "
        f"learning_rate={task.learning_rate:g}, max_iter={task.max_iter}"
    )


def run_demo(settings, cv, random_state):
    """Print the side-by-side table; return 1 if a gradient check fails, else 0."""
    data = [task.load() for task in settings.tasks]
    print(
        f"skbackprop {__version__} beside scikit-learn {sklearn.__version__} "
        f"(numpy {np.__version__}): {cv}-fold cross-validation,\n"
        "shuffled splits. Both libraries: StandardScaler -> network in a Pipeline,\n"
        f"solver='adam', alpha={settings.alpha:g}, batch_size={settings.batch_size}, "
        f"tol={settings.tol:g}, n_iter_no_change={settings.n_iter_no_change},\n"
        f"random_state={random_state}; max_iter caps the epochs of this demo "
        "(ConvergenceWarning silenced)."
    )
    for task, (X, y) in zip(settings.tasks, data, strict=True):
        print(_describe(task, X, y))
    header = ["dataset", "metric", "model", f"CV score ({cv}-fold)"]
    header += ["fit time", "epochs", "grad check"]
    rows, errors = [], []
    for task, (X, y) in zip(settings.tasks, data, strict=True):
        task_rows, error = _evaluate(task, X, y, settings, cv, random_state)
        rows += task_rows
        errors.append(error)
    print(f"\n{_format_table(header, rows)}\n")
    print(
        "CV score: mean ± std over the folds. fit time: median per fold. "
        "epochs: median n_iter_.\n"
        "grad check: max relative error of check_gradients, first fold's "
        f"model, {settings.gradcheck_samples} held-out samples\n"
        f"(below {GRADIENT_TOLERANCE:g}: the backprop gradients agree with finite "
        "differences)."
    )
    passed = max(errors) < GRADIENT_TOLERANCE
    print(f"gradient check: {'passed' if passed else 'FAILED'}")
    return 0 if passed else 1
