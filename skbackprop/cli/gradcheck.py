"""The ``gradcheck`` subcommand: full gradient-check reports on small data.

``run_gradcheck`` briefly fits the estimators (``GRADCHECK_FIT``) for several
activations and outputs, with and without sample weights, and prints the full
:func:`~skbackprop.check_gradients` report of each. A check passes below
``GRADIENT_TOLERANCE``, the threshold of the demo's gradient check too.
"""

import warnings

import numpy as np
from sklearn.datasets import load_diabetes, load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import minmax_scale, scale

from .. import (
    BackpropMLPRegressor,
    SoftmaxMLPClassifier,
    TwoLayerSigmoidRegressor,
    check_gradients,
)

# Below this max relative error, float64 backprop agrees with finite differences.
GRADIENT_TOLERANCE = 1e-6
# How the gradcheck subcommand trains each model before checking it.
GRADCHECK_FIT = {"solver": "adam", "learning_rate": 1e-2, "max_iter": 30, "alpha": 1e-2}


def _gradcheck_cases(n_samples, random_state):
    """(label, unfitted estimator, X, y, sample_weight) for each check."""
    rng = np.random.RandomState(random_state)
    X, y = load_iris(return_X_y=True)
    rows = rng.permutation(len(y))[:n_samples]
    X_c, y_c = scale(X[rows]), y[rows]
    X, y = load_diabetes(return_X_y=True)
    rows = rng.permutation(len(y))[:n_samples]
    X_r, y_r = scale(X[rows]), y[rows]
    fit = {**GRADCHECK_FIT, "random_state": random_state}

    for activation in ("relu", "tanh", "sigmoid"):
        clf = SoftmaxMLPClassifier(
            hidden_layer_sizes=(8, 6), activation=activation, **fit
        )
        label = f"SoftmaxMLPClassifier(hidden_layer_sizes=(8, 6), {activation=})"
        yield f"{label}, iris", clf, X_c, y_c, None
    label = "TwoLayerSigmoidRegressor(hidden_size=8), diabetes (standardised y)"
    reg = TwoLayerSigmoidRegressor(hidden_size=8, **fit)
    yield label, reg, X_r, scale(y_r), None
    weights = rng.uniform(0.5, 2.0, len(y_r))
    yield f"{label}, sample_weight ~ U(0.5, 2)", reg, X_r, scale(y_r), weights
    seeds = TwoLayerSigmoidRegressor(
        hidden_size=8, output_activation="sigmoid", fit_intercept=False, **fit
    )
    label = (
        "TwoLayerSigmoidRegressor(hidden_size=8, output_activation='sigmoid', "
        "fit_intercept=False)\n(the seeds' bias-free network), diabetes (y in [0, 1])"
    )
    yield label, seeds, X_r, minmax_scale(y_r), None
    general = {"hidden_layer_sizes": (8, 6), "activation": "gelu", **fit}
    label = "BackpropMLPRegressor(hidden_layer_sizes=(8, 6), activation='gelu')"
    reg = BackpropMLPRegressor(**general)
    yield f"{label}, diabetes, sample_weight ~ U(0.5, 2)", reg, X_r, scale(y_r), weights
    poisson = BackpropMLPRegressor(loss="poisson", **general)
    label = f"{label[:-1]}, loss='poisson'), diabetes (y / 100, counts-like)"
    yield label, poisson, X_r, y_r / 100, None


def run_gradcheck(n_samples, random_state):
    """Print each check's full report; return 1 if one fails, else 0."""
    print(
        "check_gradients: the backprop gradients against central finite "
        f"differences (float64,\neps=1e-6) on {n_samples} samples, after "
        f"{GRADCHECK_FIT['max_iter']} {GRADCHECK_FIT['solver']} epochs on them "
        f"(alpha={GRADCHECK_FIT['alpha']:g}); a check passes\nbelow "
        f"{GRADIENT_TOLERANCE:g} max relative error."
    )
    failed = 0
    for label, estimator, X, y, sample_weight in _gradcheck_cases(
        n_samples, random_state
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            estimator.fit(X, y, sample_weight=sample_weight)
        report = check_gradients(estimator, X, y, sample_weight=sample_weight)
        passed = report.max_relative_error < GRADIENT_TOLERANCE
        failed += not passed
        print(f"\n{label}\n{report}\n-> {'passed' if passed else 'FAILED'}")
    print(f"\n{'all checks passed' if not failed else f'{failed} check(s) FAILED'}")
    return 1 if failed else 0
