"""BackpropMLPRegressor: scikit-learn's MLPRegressor on the manual gradients, with
the squared error of §1 or the half Poisson deviance and its exp output."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.neural_network import MLPRegressor
from sklearn.neural_network._base import poisson_loss

from skbackprop import (
    BackpropMLPRegressor,
    SoftmaxMLPClassifier,
    TwoLayerSigmoidRegressor,
    check_gradients,
)
from skbackprop._losses import poisson_and_delta

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

RNG = np.random.RandomState(0)
X = RNG.randn(40, 4)
Y = np.c_[X[:, 0] - 2 * X[:, 1], np.tanh(X[:, 2])]
COUNTS = RNG.poisson(np.exp(0.5 * X[:, :2] + 0.3)).astype(float)
W = RNG.uniform(0.2, 3.0, 40)


def test_defaults_are_mlp_regressors():
    ours, theirs = BackpropMLPRegressor().get_params(), MLPRegressor().get_params()
    for name in ("hidden_layer_sizes", "activation", "solver", "alpha", "batch_size"):
        assert ours[name] == theirs[name]
    assert ours["learning_rate"] == theirs["learning_rate_init"]
    assert ours["max_iter"] == theirs["max_iter"] and ours["tol"] == theirs["tol"]
    assert ours["loss"] == "squared_error"


@pytest.mark.parametrize(
    "loss, out", [("squared_error", "identity"), ("poisson", "exp")]
)
def test_n_layers_and_out_activation_as_in_scikit_learn(loss, out):
    reg = BackpropMLPRegressor(
        hidden_layer_sizes=(5, 3), loss=loss, max_iter=2, random_state=0
    ).fit(X, COUNTS)
    assert reg.n_layers_ == 4 and reg.out_activation_ == out
    theirs = MLPRegressor(hidden_layer_sizes=(5, 3), max_iter=2).fit(X, COUNTS)
    assert theirs.n_layers_ == reg.n_layers_


def test_n_layers_and_out_activation_of_the_other_estimators():
    y = (X[:, 0] > 0).astype(int)
    clf = SoftmaxMLPClassifier(hidden_layer_sizes=(3,), max_iter=2).fit(X, y)
    assert (clf.n_layers_, clf.out_activation_) == (3, "softmax")  # binary too
    two = TwoLayerSigmoidRegressor(hidden_size=3, max_iter=2).fit(X, Y)
    assert (two.n_layers_, two.out_activation_) == (3, "identity")
    squashed = clone(two).set_params(output_activation="sigmoid")
    squashed.fit(X, (Y > 0).astype(float))
    assert squashed.out_activation_ == "logistic"


def test_poisson_loss_is_scikit_learns_half_deviance_with_its_constants():
    a = RNG.randn(40, 2)
    y = COUNTS
    for w in (None, W):
        n = 40 if w is None else W.sum()
        loss, delta = poisson_and_delta(a.copy(), y, w, n)
        y_hat = np.exp(a)
        weights = np.ones(40) if w is None else w
        # Σ w (y log(y/ŷ) − y + ŷ) / N, written out here with 0 log 0 = 0
        y_log_y = np.where(y > 0, y * np.log(np.where(y > 0, y, 1)), 0.0)
        deviance = (weights[:, None] * (y_log_y - y * a - y + y_hat)).sum() / n
        assert_allclose(loss, deviance, rtol=1e-13)
        assert_allclose(loss, poisson_loss(y, y_hat, w), rtol=1e-13)
        assert_allclose(delta, weights[:, None] / n * (y_hat - y), rtol=1e-13)
    # never negative, 0 at the perfect prediction, large counts included
    big = np.array([[0.0, 1000.0], [3.0, 1e6]])
    perfect, _ = poisson_and_delta(np.log(np.where(big > 0, big, 1e-300)), big, None, 2)
    assert 0 <= perfect < 1e-6


def test_poisson_loss_is_finite_for_huge_outputs():
    a = np.array([[1e6, -1e6], [5.0, 0.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss, delta = poisson_and_delta(a.copy(), np.ones((2, 2)), None, 2)
    assert np.isfinite(delta).all()
    assert loss > 1e300


@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
@pytest.mark.parametrize("weighted", [False, True])
def test_gradients_match_finite_differences_multi_output(loss, weighted):
    reg = BackpropMLPRegressor(
        hidden_layer_sizes=(6, 5),
        activation="tanh",
        loss=loss,
        solver="gd",
        learning_rate=0.01,
        random_state=0,
    ).partial_fit(X, COUNTS)
    report = check_gradients(reg, X, COUNTS, sample_weight=W if weighted else None)
    assert report.max_relative_error < 1e-6


def test_poisson_fit_learns_the_rate_and_predicts_positive_values():
    rng = np.random.RandomState(1)
    X_big = rng.randn(1000, 3)
    rate = np.exp(0.5 * X_big[:, 0] + 0.3)
    y = rng.poisson(rate)
    reg = BackpropMLPRegressor(
        hidden_layer_sizes=(8,),
        loss="poisson",
        solver="lbfgs",
        alpha=1.0,
        random_state=0,
    ).fit(X_big, y)
    pred = reg.predict(X_big)
    assert pred.shape == (1000,) and (pred > 0).all()
    assert np.corrcoef(pred, rate)[0, 1] > 0.9
    # the canonical link with an intercept: Σ ŷ ≈ Σ y at the optimum
    assert pred.mean() == pytest.approx(y.mean(), rel=0.02)


@pytest.mark.parametrize("y, what", [(-COUNTS, "minimum -"), (0 * COUNTS, "sum 0")])
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_poisson_refuses_negative_or_all_zero_targets(y, what, method):
    reg = BackpropMLPRegressor(loss="poisson", hidden_layer_sizes=(3,))
    with pytest.raises(ValueError, match=f"loss='poisson' requires y >= 0.*{what}"):
        getattr(reg, method)(X, y)
    assert not hasattr(reg, "coefs_")


def test_partial_fit_k_times_equals_fit_with_max_iter_k():
    params = {"hidden_layer_sizes": (5, 4), "activation": "gelu", "solver": "adam"}
    params.update(batch_size=40, shuffle=False, tol=0, random_state=0)
    stepped = BackpropMLPRegressor(**params)
    for _ in range(4):
        stepped.partial_fit(X, Y)
    fitted = BackpropMLPRegressor(max_iter=4, **params).fit(X, Y)
    for a, b in zip(stepped.coefs_, fitted.coefs_, strict=True):
        assert_array_equal(a, b)


def test_multi_output_prediction_keeps_the_shape_of_y():
    reg = BackpropMLPRegressor(hidden_layer_sizes=(6,), max_iter=5, random_state=0)
    assert reg.fit(X, Y).predict(X).shape == (40, 2)
    assert reg.fit(X, Y[:, 0]).predict(X).shape == (40,)
    assert reg.n_outputs_ == 1
