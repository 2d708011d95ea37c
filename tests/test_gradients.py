"""The manual gradients against central finite differences of the loss.

Two independent checks: ``check_gradients`` (the library's own checker) and a
finite-difference loop written here, which perturbs the live ``coefs_`` and
``intercepts_`` views one entry at a time and re-evaluates the public
``loss_and_gradients``. A last group proves that the checker is not blind: a
deliberately wrong backward pass must be reported.
"""

import dataclasses
import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning

from skbackprop import (
    SoftmaxMLPClassifier,
    TwoLayerSigmoidRegressor,
    _activations,
    _network,
    check_gradients,
)

TOL = 1e-6
N_SAMPLES, N_FEATURES, N_CLASSES = 20, 3, 3


def relative_error(analytic, numeric):
    """‖g − ĝ‖ / (‖g‖ + ‖ĝ‖), the same scale-free measure the checker reports."""
    scale = np.linalg.norm(analytic) + np.linalg.norm(numeric)
    return np.linalg.norm(analytic - numeric) / scale


def make_sample_weight(rng, n):
    """Random positive weights with some zeros."""
    w = rng.uniform(0.2, 3.0, n)
    w[::5] = 0.0
    return w


def make_classification(seed, n_classes=N_CLASSES):
    rng = np.random.RandomState(seed)
    X = rng.randn(N_SAMPLES, N_FEATURES)
    y = np.arange(N_SAMPLES) % n_classes  # every class present
    rng.shuffle(y)
    return X, y, make_sample_weight(rng, N_SAMPLES)


def make_regression(seed, n_outputs, output_activation):
    rng = np.random.RandomState(seed)
    X = rng.randn(N_SAMPLES, N_FEATURES)
    if output_activation == "sigmoid":
        y = rng.uniform(0.0, 1.0, (N_SAMPLES, n_outputs))
    else:
        y = rng.randn(N_SAMPLES, n_outputs) + X[:, :1]
    y = y.ravel() if n_outputs == 1 else y
    return X, y, make_sample_weight(rng, N_SAMPLES)


def classifier_case(hidden, activation, alpha, weighted, class_weight=None, seed=0):
    X, y, w = make_classification(seed)
    clf = SoftmaxMLPClassifier(
        hidden_layer_sizes=hidden,
        activation=activation,
        alpha=alpha,
        class_weight=class_weight,
        solver="gd",
        learning_rate=0.1,
        random_state=seed,
    )
    if class_weight == "balanced":  # partial_fit refuses "balanced": one epoch of fit
        clf.set_params(max_iter=1)
        with pytest.warns(ConvergenceWarning):
            clf.fit(X, y)
    else:
        clf.partial_fit(X, y, classes=np.arange(N_CLASSES))
    return clf, X, y, (w if weighted else None)


def regressor_case(output_activation, fit_intercept, n_outputs, alpha, weighted):
    X, y, w = make_regression(1, n_outputs, output_activation)
    reg = TwoLayerSigmoidRegressor(
        hidden_size=4,
        output_activation=output_activation,
        fit_intercept=fit_intercept,
        alpha=alpha,
        solver="gd",
        learning_rate=0.1,
        random_state=1,
    ).partial_fit(X, y)
    return reg, X, y, (w if weighted else None)


def finite_difference_gradients(estimator, X, y, sample_weight=None, eps=1e-6):
    """Central differences of ``loss_and_gradients``'s loss, perturbing the live
    parameter views in place; returns (coef_grads, intercept_grads) like it."""
    loss = estimator.loss_and_gradients
    arrays = [estimator.coefs_, estimator.intercepts_]
    numeric = [[np.zeros_like(p) for p in group] for group in arrays]
    for group, numeric_group in zip(arrays, numeric, strict=True):
        for param, g_hat in zip(group, numeric_group, strict=True):
            if not param.flags.writeable:  # fit_intercept=False: fixed zero biases
                continue
            for idx in np.ndindex(param.shape):
                saved = param[idx]
                param[idx] = saved + eps
                loss_plus = loss(X, y, sample_weight)[0]
                param[idx] = saved - eps
                loss_minus = loss(X, y, sample_weight)[0]
                param[idx] = saved
                g_hat[idx] = (loss_plus - loss_minus) / (2 * eps)
    return numeric


def assert_gradients_match_finite_differences(
    estimator, X, y, sample_weight, own_loop=True
):
    report = check_gradients(estimator, X, y, sample_weight=sample_weight)
    assert report.max_relative_error < TOL, str(report)
    assert np.isfinite(report.loss) and report.loss > 0
    if own_loop:
        assert_own_finite_differences_agree(estimator, X, y, sample_weight)


def assert_same_loss_and_gradients(result, expected, rtol):
    """Two ``loss_and_gradients`` results agree: the loss to 1e-12, every gradient
    array to ``rtol``."""
    loss, coef_grads, intercept_grads = result
    loss_ref, coef_ref, intercept_ref = expected
    assert_allclose(loss, loss_ref, rtol=1e-12)
    for g, g_ref in zip(
        coef_grads + intercept_grads, coef_ref + intercept_ref, strict=True
    ):
        assert_allclose(g, g_ref, rtol=rtol, atol=1e-15)


def assert_own_finite_differences_agree(estimator, X, y, sample_weight):
    before = [p.copy() for p in estimator.coefs_ + estimator.intercepts_]
    _, coef_grads, intercept_grads = estimator.loss_and_gradients(X, y, sample_weight)
    coef_numeric, intercept_numeric = finite_difference_gradients(
        estimator, X, y, sample_weight
    )
    for k, (g, g_hat) in enumerate(zip(coef_grads, coef_numeric, strict=True)):
        assert g.shape == estimator.coefs_[k].shape
        assert np.linalg.norm(g) > 0
        assert relative_error(g, g_hat) < TOL, f"coefs_[{k}]"
    for k, (g, g_hat) in enumerate(
        zip(intercept_grads, intercept_numeric, strict=True)
    ):
        assert g.shape == estimator.intercepts_[k].shape
        if estimator.intercepts_[k].flags.writeable:
            assert relative_error(g, g_hat) < TOL, f"intercepts_[{k}]"
        else:
            assert_array_equal(g, 0.0)
    # the perturbation loop restored every parameter exactly
    for p, saved in zip(estimator.coefs_ + estimator.intercepts_, before, strict=True):
        assert_array_equal(p, saved)


CLASSIFIER_GRID = list(
    itertools.product(
        [(4,), (4, 3), (4, 3, 3)],
        ["relu", "tanh", "sigmoid"],
        [0.0, 0.3],
        [False, True],
    )
)


@pytest.mark.parametrize(
    "hidden, activation, alpha, weighted",
    CLASSIFIER_GRID,
    ids=[
        f"depth{len(h)}-{act}-alpha{a}-{'weighted' if w else 'unweighted'}"
        for h, act, a, w in CLASSIFIER_GRID
    ],
)
def test_classifier_gradients_match_finite_differences(
    hidden, activation, alpha, weighted
):
    clf, X, y, w = classifier_case(hidden, activation, alpha, weighted)
    assert len(clf.coefs_) == len(hidden) + 1
    # the loop of this file on half the grid (it costs a validation per evaluation)
    own_loop = (alpha > 0) == weighted
    assert_gradients_match_finite_differences(clf, X, y, w, own_loop)


REGRESSOR_GRID = list(
    itertools.product(
        ["identity", "sigmoid"], [True, False], [1, 3], [0.0, 0.3], [False, True]
    )
)


@pytest.mark.parametrize(
    "output_activation, fit_intercept, n_outputs, alpha, weighted",
    REGRESSOR_GRID,
    ids=[
        f"{out}-{'bias' if b else 'nobias'}-{k}out-alpha{a}-"
        f"{'weighted' if w else 'unweighted'}"
        for out, b, k, a, w in REGRESSOR_GRID
    ],
)
def test_regressor_gradients_match_finite_differences(
    output_activation, fit_intercept, n_outputs, alpha, weighted
):
    reg, X, y, w = regressor_case(
        output_activation, fit_intercept, n_outputs, alpha, weighted
    )
    assert reg.coefs_[1].shape == (4, n_outputs)
    own_loop = (alpha > 0) == weighted
    assert_gradients_match_finite_differences(reg, X, y, w, own_loop)


@pytest.mark.parametrize("hidden", [(4, 1), (4, 1, 3)])
@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_one_unit_second_layer_gradients_match_finite_differences(hidden, activation):
    # a one-unit layer 2 takes the factored path of (E27) in backward
    clf, X, y, w = classifier_case(hidden, activation, 0.3, True, seed=2)
    assert clf.coefs_[1].shape == (4, 1)
    assert_gradients_match_finite_differences(clf, X, y, w)


@pytest.mark.parametrize("class_weight", [{0: 1.0, 1: 3.0, 2: 0.5}, "balanced"])
@pytest.mark.parametrize("weighted", [False, True])
def test_classifier_gradients_with_class_weight_match_finite_differences(
    class_weight, weighted
):
    clf, X, y, w = classifier_case((4, 3), "tanh", 0.1, weighted, class_weight)
    assert_gradients_match_finite_differences(clf, X, y, w)


@pytest.mark.parametrize("weighted", [False, True])
def test_class_weight_gradients_equal_those_of_the_same_sample_weights(weighted):
    class_weight = {0: 1.0, 1: 3.0, 2: 0.5}
    weighted_clf, X, y, w = classifier_case((4,), "relu", 0.1, weighted, class_weight)
    plain_clf, *_ = classifier_case((4,), "relu", 0.1, weighted)
    for mine, theirs in zip(
        plain_clf.coefs_ + plain_clf.intercepts_,
        weighted_clf.coefs_ + weighted_clf.intercepts_,
        strict=True,
    ):
        mine[...] = theirs
    per_sample = np.array([class_weight[label] for label in y])
    if w is not None:
        per_sample = per_sample * w
    assert_same_loss_and_gradients(
        weighted_clf.loss_and_gradients(X, y, w),
        plain_clf.loss_and_gradients(X, y, per_sample),
        rtol=1e-10,
    )


def test_classifier_gradients_with_string_labels_match_finite_differences():
    X, y, w = make_classification(3, n_classes=2)
    labels = np.array(["no", "yes"])[y]
    clf = SoftmaxMLPClassifier(
        hidden_layer_sizes=(4, 3), activation="sigmoid", solver="gd", random_state=3
    ).partial_fit(X, labels, classes=["no", "yes"])
    assert clf.coefs_[-1].shape == (3, 2)  # a two-unit softmax for two classes
    assert_gradients_match_finite_differences(clf, X, labels, w)


# -- the checker must see a wrong gradient ------------------------------------------
def _scaled_derivative(derivative, factor):
    def wrong_derivative(a, z, out=None):
        return derivative(a, z, out) * factor

    return wrong_derivative


def test_check_gradients_detects_a_wrong_activation_derivative(monkeypatch):
    clf, X, y, _ = classifier_case((4, 3), "tanh", 0.0, False)
    assert check_gradients(clf, X, y).max_relative_error < TOL
    tanh = _activations.ACTIVATIONS["tanh"]
    wrong = dataclasses.replace(
        tanh, derivative=_scaled_derivative(tanh.derivative, 1.5)
    )
    monkeypatch.setitem(_activations.ACTIVATIONS, "tanh", wrong)
    report = check_gradients(clf, X, y)
    # |1.5g − g| / (1.5|g| + |g|) = 0.2 wherever the wrong derivative is used
    assert report.max_relative_error > 0.1
    assert report.relative_errors["coefs_[0]"] > 0.1
    assert report.relative_errors["coefs_[1]"] > 0.1
    # the output layer's gradient does not pass through g': it still checks
    assert report.relative_errors["coefs_[2]"] < TOL
    assert report.relative_errors["intercepts_[2]"] < TOL


def test_check_gradients_detects_a_wrong_output_delta(monkeypatch):
    reg, X, y, w = regressor_case("sigmoid", True, 1, 0.0, True)
    right = _network.loss_and_output_delta

    def doubled_delta(*args):
        loss, delta = right(*args)
        return loss, 2.0 * delta

    monkeypatch.setattr(_network, "loss_and_output_delta", doubled_delta)
    report = check_gradients(reg, X, y, sample_weight=w)
    for name, error in report.relative_errors.items():
        assert error > 0.3, name  # |2g − g| / (2|g| + |g|) = 1/3
    # the loop written in this file sees it as well
    _, coef_grads, _ = reg.loss_and_gradients(X, y, w)
    coef_numeric, _ = finite_difference_gradients(reg, X, y, w)
    assert relative_error(coef_grads[0], coef_numeric[0]) > 0.3


def test_check_gradients_detects_a_wrong_l2_gradient(monkeypatch):
    clf, X, y, _ = classifier_case((4,), "sigmoid", 1.0, False)
    monkeypatch.setattr(
        _network, "l2_penalty", lambda params, alpha, n: 0.0
    )  # loss without its L2 term, gradient still with it
    report = check_gradients(clf, X, y)
    assert report.relative_errors["coefs_[0]"] > 1e-2
    assert report.relative_errors["intercepts_[0]"] < TOL  # biases carry no L2


class _OnePercentOffClassifier(SoftmaxMLPClassifier):
    """Reports every gradient 1 % too large."""

    def loss_and_gradients(self, X, y, sample_weight=None):
        loss, coef_grads, intercept_grads = super().loss_and_gradients(
            X, y, sample_weight
        )
        return loss, [1.01 * g for g in coef_grads], [1.01 * g for g in intercept_grads]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_check_gradients_checks_the_estimators_own_loss_and_gradients(dtype):
    X, y, w = make_classification(4)
    clf = _OnePercentOffClassifier(
        hidden_layer_sizes=(4,), activation="tanh", solver="gd", random_state=4
    ).partial_fit(X.astype(dtype), y, classes=np.arange(N_CLASSES))
    report = check_gradients(clf, X.astype(dtype), y, sample_weight=w)
    # ‖1.01 g − g‖ / (1.01‖g‖ + ‖g‖) = 0.01 / 2.01
    for name, error in report.relative_errors.items():
        assert error > 4e-3, name
    assert report.max_relative_error > 1e3 * TOL
    assert report.analytic.dtype == np.float64  # checked at float64 all the same
    assert clf.coefs_[0].dtype == dtype  # and the model itself is untouched


# -- dtypes and sparse input ---------------------------------------------------------
def test_float32_model_gradients_check_in_float64():
    X, y, w = make_classification(4)
    X32 = X.astype(np.float32)
    clf = SoftmaxMLPClassifier(
        hidden_layer_sizes=(4, 3), activation="tanh", solver="gd", random_state=4
    ).partial_fit(X32, y, classes=np.arange(N_CLASSES))
    assert clf.coefs_[0].dtype == np.float32
    report = check_gradients(clf, X32, y, sample_weight=w)
    assert report.numeric.dtype == np.float64
    assert report.max_relative_error < TOL, str(report)
    # the model's own float32 gradients agree with the float64 check to float32 accuracy
    _, coef_grads, intercept_grads = clf.loss_and_gradients(X32, y, w)
    analytic32 = np.concatenate([g.ravel() for g in coef_grads + intercept_grads])
    assert analytic32.dtype == np.float32
    assert relative_error(analytic32.astype(np.float64), report.numeric) < 1e-5


def test_float32_regressor_gradients_check_in_float64():
    X, y, w = make_regression(5, 2, "sigmoid")
    reg = TwoLayerSigmoidRegressor(
        hidden_size=5, output_activation="sigmoid", solver="gd", random_state=5
    ).partial_fit(X.astype(np.float32), y.astype(np.float32))
    assert reg.coefs_[0].dtype == np.float32
    report = check_gradients(reg, X.astype(np.float32), y, sample_weight=w)
    assert report.max_relative_error < TOL, str(report)


@pytest.mark.parametrize("sparse_format", [sp.csr_matrix, sp.csc_matrix])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("estimator_kind", ["classifier", "regressor"])
def test_sparse_input_gives_the_gradients_of_dense_input(
    sparse_format, weighted, estimator_kind
):
    if estimator_kind == "classifier":
        estimator, X, y, w = classifier_case((4, 3), "relu", 0.2, weighted)
    else:
        estimator, X, y, w = regressor_case("identity", True, 2, 0.2, weighted)
    X = X.copy()
    X[np.abs(X) < 0.7] = 0.0  # genuinely sparse
    X_sparse = sparse_format(X)
    assert_same_loss_and_gradients(
        estimator.loss_and_gradients(X_sparse, y, w),
        estimator.loss_and_gradients(X, y, w),
        rtol=1e-12,
    )
    report = check_gradients(estimator, X_sparse, y, sample_weight=w)
    assert report.max_relative_error < TOL, str(report)
