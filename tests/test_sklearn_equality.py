"""The drop-ins against scikit-learn where the algorithm is the same: from the same
starting weights, over the same unshuffled batches, ``loss_curve_`` equals
``MLPClassifier``'s / ``MLPRegressor``'s to 1e-10 — the same loss values, the same
gradients, the same optimizer steps.

With sample weights the steps are the same, but the epoch's loss is not: ours is
the weighted mean Σ_b (Σ_{i∈b} w_i) L_b / Σ w of the batch losses (for one batch,
the weighted loss itself), scikit-learn's weighs each batch's loss by its count of
samples, Σ_b n_b L_b / n. The weighted cases compare the weights after training
on minibatches, and the loss curves on full batches, where the two agree."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor

from skbackprop import BackpropMLPClassifier, BackpropMLPRegressor

RNG = np.random.RandomState(0)
X = RNG.randn(70, 6)
W = RNG.uniform(0.2, 2.0, 70)
TARGETS = {
    "binary": np.where(X[:, 0] - X[:, 1] > 0, "b", "a"),
    "multiclass": np.digitize(X[:, 2] + 0.5 * X[:, 3], [-0.6, 0.0, 0.6]),
    "multilabel": np.c_[X[:, 0] > 0, X[:, 1] + X[:, 4] > 0, X[:, 5] < 0.3].astype(int),
    "regression": X[:, 0] - 2 * np.tanh(X[:, 1]),
    "counts": RNG.poisson(np.exp(0.4 * X[:, 0] + 1.0)).astype(float),
}
EPOCHS = 8


def shared(solver):
    """The same training on both sides: unshuffled minibatches of 16, no stop."""
    return {
        "hidden_layer_sizes": (7, 5),
        "activation": "tanh",
        "solver": solver,
        "batch_size": 16,
        "alpha": 1e-3,
        "shuffle": False,
        "max_iter": EPOCHS,
        "tol": 0.0,
        "n_iter_no_change": 10 * EPOCHS,
        "random_state": 3,
        "warm_start": True,
    }


def assert_same_weights(ours, theirs):
    for mine, other in zip(
        ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_, strict=True
    ):
        assert_allclose(mine, other, rtol=1e-9, atol=1e-12)


def trained_pair(ours, theirs, y, sample_weight=None, ours_rate=None):
    """Both fitted from scikit-learn's initial weights (copied into ours after a
    1-epoch fit), then EPOCHS more epochs each with warm_start; returns the two
    loss curves of those epochs."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs.set_params(max_iter=1).fit(X, y, sample_weight=sample_weight)
        ours.set_params(max_iter=1).fit(X, y, sample_weight=sample_weight)
        mine = ours.coefs_ + ours.intercepts_
        for ours_array, theirs_array in zip(
            mine, theirs.coefs_ + theirs.intercepts_, strict=True
        ):
            ours_array[...] = theirs_array
        theirs.set_params(max_iter=EPOCHS).fit(X, y, sample_weight=sample_weight)
        ours.set_params(max_iter=EPOCHS)
        if ours_rate is not None:
            ours.set_params(learning_rate=ours_rate)
        ours.fit(X, y, sample_weight=sample_weight)
    return ours.loss_curve_[1:], theirs.loss_curve_[1:]


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("kind", ["binary", "multiclass", "multilabel"])
def test_classifier_loss_curve_equals_mlp_classifiers(solver, kind):
    params = shared(solver)
    ours = BackpropMLPClassifier(**params, learning_rate=0.01)
    theirs = MLPClassifier(**params, learning_rate_init=0.01)
    curves = trained_pair(ours, theirs, TARGETS[kind])
    assert len(curves[0]) == EPOCHS
    assert_allclose(*curves, rtol=1e-10, atol=0)
    assert curves[0][-1] < curves[0][0]  # training, not a frozen model
    assert_same_weights(ours, theirs)
    assert_allclose(
        ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-8, atol=1e-12
    )


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("kind", ["binary", "multiclass", "multilabel"])
@pytest.mark.parametrize("batch_size", [16, 70])
def test_weighted_classifier_steps_equal_mlp_classifiers(solver, kind, batch_size):
    params = {**shared(solver), "batch_size": batch_size}
    ours = BackpropMLPClassifier(**params, learning_rate=0.01)
    theirs = MLPClassifier(**params, learning_rate_init=0.01)
    curves = trained_pair(ours, theirs, TARGETS[kind], W)
    assert_same_weights(ours, theirs)
    if batch_size == len(X):  # one batch: the epoch's loss is the weighted loss
        assert_allclose(*curves, rtol=1e-10, atol=0)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize(
    "loss, target", [("squared_error", "regression"), ("poisson", "counts")]
)
@pytest.mark.parametrize("weighted", [False, True])
def test_regressor_loss_curve_equals_mlp_regressors(solver, loss, target, weighted):
    params = shared(solver)
    if weighted:
        params["batch_size"] = len(X)
    rate = 0.001 if loss == "poisson" else 0.01
    ours = BackpropMLPRegressor(**params, loss=loss, learning_rate=rate)
    theirs = MLPRegressor(**params, loss=loss, learning_rate_init=rate)
    curves = trained_pair(ours, theirs, TARGETS[target], W if weighted else None)
    assert_allclose(*curves, rtol=1e-10, atol=0)
    assert min(curves[0]) >= 0  # the Poisson loss with its constants
    assert_same_weights(ours, theirs)
    assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-8)


def test_multi_output_squared_error_is_scikit_learns_loss_on_its_own_gradient():
    """scikit-learn reports the squared error averaged over the P outputs but
    steps along the gradient of the sum, P times larger; ours is the gradient of
    the loss reported. Without the L2 term, plain sgd with a P× larger rate takes
    scikit-learn's steps exactly, and the reported losses are the same."""
    y = np.c_[TARGETS["regression"], X[:, 3] ** 2, np.sin(X[:, 4])]  # P = 3
    params = {**shared("sgd"), "alpha": 0.0}
    ours = BackpropMLPRegressor(**params, learning_rate=0.01)
    theirs = MLPRegressor(**params, learning_rate_init=0.01)
    curves = trained_pair(ours, theirs, y, ours_rate=0.03)
    assert_allclose(*curves, rtol=1e-10, atol=0)
    # and the loss reported for the same weights is scikit-learn's, averaged
    residual = ours.predict(X) - y
    assert_allclose(ours.loss_curve_[-1], curves[1][-1])
    data_term = 0.5 * np.mean(residual**2)
    loss, _, _ = ours.loss_and_gradients(X, y)
    assert_allclose(loss, data_term, rtol=1e-12)


@pytest.mark.parametrize("early_stopping", [False, True])
@pytest.mark.parametrize("kind", TARGETS)
def test_same_random_state_trains_the_same_model_as_scikit_learn(kind, early_stopping):
    """Shuffled batches, adam, defaults: the same initial draws, the same
    shuffles, the same split — scikit-learn's model, with nothing copied over."""
    y = TARGETS[kind]
    params = {
        "hidden_layer_sizes": (9,),
        "batch_size": 16,
        "max_iter": 6,
        "random_state": 0,
        "early_stopping": early_stopping,
        "validation_fraction": 0.2,
    }
    if kind in ("regression", "counts"):
        loss = "poisson" if kind == "counts" else "squared_error"
        ours = BackpropMLPRegressor(**params, loss=loss)
        theirs = MLPRegressor(**params, loss=loss)
    else:
        ours, theirs = BackpropMLPClassifier(**params), MLPClassifier(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours.fit(X, y)
        theirs.fit(X, y)
    assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-10, atol=0)
    if early_stopping:
        assert_allclose(ours.validation_scores_, theirs.validation_scores_)
    assert_same_weights(ours, theirs)
