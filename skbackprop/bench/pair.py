"""The two estimators of a comparison, and the checks that they do the same work.

``estimator_pair`` configures our estimator and scikit-learn's alike for a workload;
``initial_weights_match`` and ``same_path_difference`` check, through the public API,
that both draw the same initial weights and, fed the minibatches in the same order,
follow the same loss curve up to rounding.
"""

import numpy as np
from sklearn.neural_network import MLPClassifier, MLPRegressor

from .._classifier import SoftmaxMLPClassifier
from .._regressor import TwoLayerSigmoidRegressor

ALPHA, BETA_1, BETA_2, EPSILON = 1e-4, 0.9, 0.999, 1e-8
LIBRARIES = ("ours", "sklearn")


def estimator_pair(w, *, n_train, epochs, random_state, **overrides):
    """Our estimator and scikit-learn's, configured to do the same work.

    ``overrides`` (``solver``, ``learning_rate``, ``alpha``) replace the workload's.
    Our "gd" (one full-batch step per epoch) is scikit-learn's "sgd" with one batch
    of all samples and no momentum.
    """
    solver = overrides.get("solver", w.solver)
    learning_rate = overrides.get("learning_rate", w.learning_rate)
    alpha = overrides.get("alpha", ALPHA)
    shared = {
        "alpha": alpha,
        "beta_1": BETA_1,
        "beta_2": BETA_2,
        "epsilon": EPSILON,
        "momentum": 0.0,
        "nesterovs_momentum": False,
        "max_iter": epochs,
        "tol": 0.0,
        "n_iter_no_change": epochs,
        "early_stopping": False,
        "shuffle": True,
        "random_state": random_state,
    }
    ours = dict(
        shared, solver=solver, learning_rate=learning_rate, batch_size=w.batch_size
    )
    theirs = dict(
        shared,
        hidden_layer_sizes=(w.hidden,),
        activation="logistic" if w.activation == "sigmoid" else w.activation,
        solver="sgd" if solver == "gd" else solver,
        learning_rate_init=learning_rate,
        learning_rate="constant",
        batch_size=n_train if solver == "gd" else w.batch_size,
    )
    if w.task == "classification":
        mine = SoftmaxMLPClassifier(
            hidden_layer_sizes=(w.hidden,), activation=w.activation, **ours
        )
        return {"ours": mine, "sklearn": MLPClassifier(**theirs)}
    if w.activation != "sigmoid":
        raise ValueError("TwoLayerSigmoidRegressor has a sigmoid hidden layer only.")
    mine = TwoLayerSigmoidRegressor(hidden_size=w.hidden, **ours)
    return {"ours": mine, "sklearn": MLPRegressor(**theirs)}


def _binary(w, y):
    return w.task == "classification" and len(np.unique(y)) == 2


def initial_weights_match(w, X, y):
    """Whether both libraries draw the same initial weights for one random_state.

    Read through the public API: one epoch of plain SGD with a learning rate of
    1e-30 and no L2 leaves every weight bit-for-bit where it was drawn.
    Returns (identical, max |difference|); (None, None) for two classes, where
    scikit-learn has one logistic output unit and we a two-unit softmax.
    """
    if _binary(w, y):
        return None, None
    pair = estimator_pair(
        w,
        n_train=len(X),
        epochs=1,
        random_state=0,
        solver="sgd",
        learning_rate=1e-30,
        alpha=0.0,
    )
    for estimator in pair.values():
        estimator.fit(X, y)
    ours, theirs = pair["ours"], pair["sklearn"]
    arrays = zip(
        ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_, strict=True
    )
    diffs = [np.max(np.abs(a - b.reshape(a.shape)), initial=0.0) for a, b in arrays]
    return bool(max(diffs) == 0.0), float(max(diffs))


def same_path_difference(w, X, y, epochs):
    """Max relative difference of the two loss curves from the same random_state,
    which gives both libraries the same initial weights and minibatch order:
    rounding only, if they compute the same thing. None for two classes (other
    output layers)."""
    if _binary(w, y):
        return None
    pair = estimator_pair(w, n_train=len(X), epochs=epochs, random_state=0)
    for estimator in pair.values():
        estimator.fit(X, y)
    ours, theirs = (np.asarray(pair[lib].loss_curve_) for lib in LIBRARIES)
    return float(np.max(np.abs(ours / theirs - 1.0)))
