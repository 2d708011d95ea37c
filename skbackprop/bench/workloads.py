"""The benchmark's workloads: the problems and the training run on each.

Each ``Workload`` names a dataset loader (split and standardised the same way for both
libraries), the network, the solver and its settings, the epoch counts of a full and
a ``--quick`` run, and the speed targets. ``WORKLOADS`` maps each name to its workload.
"""

from dataclasses import dataclass

from sklearn.datasets import (
    load_diabetes,
    load_digits,
    make_classification,
    make_regression,
)
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

DTYPES = ("float64", "float32")


def _split_and_scale(X, y, *, test_size, scale_y):
    """Hold out a test set; standardise X (and y) with statistics of the train set."""
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_size, random_state=0
    )
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    if scale_y:
        mean, std = y_train.mean(), y_train.std()
        y_train, y_test = (y_train - mean) / std, (y_test - mean) / std
    return X_train, X_test, y_train, y_test


def _digits(quick):
    X, y = load_digits(return_X_y=True)
    if quick:
        X, y = X[:400], y[:400]
    return _split_and_scale(X, y, test_size=0.25, scale_y=False)


def _classification(quick):
    n_train, n_features, n_informative = (
        (1_000, 20, 10) if quick else (100_000, 100, 30)
    )
    X, y = make_classification(
        n_samples=n_train + n_train // 5,
        n_features=n_features,
        n_informative=n_informative,
        n_redundant=n_informative // 3,
        n_classes=10,
        random_state=0,
    )
    return _split_and_scale(X, y, test_size=1 / 6, scale_y=False)


def _regression(quick):
    n_train, n_features = (1_000, 10) if quick else (100_000, 50)
    X, y = make_regression(
        n_samples=n_train + n_train // 5,
        n_features=n_features,
        n_informative=n_features // 2,
        noise=10.0,
        random_state=0,
    )
    return _split_and_scale(X, y, test_size=1 / 6, scale_y=True)


def _first_fit(quick):
    """A user's first fit: make_classification's defaults, 20 000 training rows of
    200 features (a network of 20 000 weights, where the thread pools fought)."""
    n_train, n_features = (1_000, 20) if quick else (20_000, 200)
    X, y = make_classification(
        n_samples=n_train + n_train // 5, n_features=n_features, random_state=0
    )
    return _split_and_scale(X, y, test_size=1 / 6, scale_y=False)


def _diabetes(quick):
    X, y = load_diabetes(return_X_y=True)
    return _split_and_scale(X, y, test_size=0.25, scale_y=True)


@dataclass(frozen=True)
class Workload:
    """One benchmark problem and the training both libraries run on it."""

    name: str
    task: str  # "classification" or "regression"
    load: object  # quick -> (X_train, X_test, y_train, y_test), float64
    hidden: int
    activation: str  # ours: "relu" or "sigmoid"
    solver: str  # ours: "gd", "sgd", "adam" or "lbfgs"
    learning_rate: float
    batch_size: object  # int or "auto"; ignored by gd
    epochs: int  # iterations for lbfgs
    quick_epochs: int
    target_ratio: tuple  # ours/sklearn median fit time at one BLAS thread, by dtype
    target_default: float  # the same at the machine's default threading
    target_floor: float | None = None  # ours / GEMM floor
    large: bool = False  # measure peak memory
    dataframe: bool = False  # X given as a pandas DataFrame, as most users have it
    dtypes: tuple = DTYPES  # scikit-learn's lbfgs trains in float64 only


WORKLOADS = {
    w.name: w
    for w in [
        Workload(
            name="digits",
            task="classification",
            load=_digits,
            hidden=64,
            activation="relu",
            solver="adam",
            learning_rate=1e-3,
            batch_size="auto",
            epochs=50,
            quick_epochs=3,
            target_ratio=(0.45, 0.32),
            target_default=0.5,
        ),
        Workload(
            name="classification",
            task="classification",
            load=_classification,
            hidden=256,
            activation="sigmoid",
            solver="adam",
            learning_rate=1e-3,
            batch_size=256,
            epochs=5,
            quick_epochs=2,
            target_ratio=(0.62, 0.52),
            target_default=0.5,
            target_floor=1.6,
            large=True,
        ),
        Workload(
            name="regression",
            task="regression",
            load=_regression,
            hidden=128,
            activation="sigmoid",
            solver="adam",
            learning_rate=1e-3,
            batch_size=256,
            epochs=10,
            quick_epochs=2,
            target_ratio=(0.50, 0.36),
            target_default=0.5,
            large=True,
        ),
        Workload(
            name="diabetes-gd",
            task="regression",
            load=_diabetes,
            hidden=16,
            activation="sigmoid",
            solver="gd",
            learning_rate=0.1,
            batch_size="auto",
            epochs=500,
            quick_epochs=10,
            target_ratio=(0.35, 0.26),
            target_default=0.5,
        ),
        # Both libraries at their defaults (the pair sets the same values
        # explicitly), but for a fixed number of epochs: what a user runs first.
        Workload(
            name="first-fit",
            task="classification",
            load=_first_fit,
            hidden=100,
            activation="relu",
            solver="adam",
            learning_rate=1e-3,
            batch_size="auto",
            epochs=3,
            quick_epochs=1,
            target_ratio=(0.5, 0.4),
            target_default=0.5,
            dataframe=True,
        ),
        Workload(
            name="first-fit-lbfgs",
            task="classification",
            load=_first_fit,
            hidden=100,
            activation="relu",
            solver="lbfgs",
            learning_rate=1e-3,
            batch_size="auto",
            epochs=20,
            quick_epochs=3,
            target_ratio=(0.9, 0.9),  # float64 only
            target_default=0.8,
            dataframe=True,
            dtypes=("float64",),
        ),
    ]
}
