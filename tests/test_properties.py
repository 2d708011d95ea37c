"""Properties that hold for every small network, checked on random cases.

Random shapes, depths, activations, outputs, sample weights and L2 strengths:
the manual gradients match central finite differences, softmax rows sum to 1,
the loss is non-negative, and an integer sample weight k is the same as repeating
the row k times. Hypothesis runs derandomized so CI sees the same cases each time.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from skbackprop import SoftmaxMLPClassifier, TwoLayerSigmoidRegressor, check_gradients

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

FEW_CASES = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
RELU_KINK_MARGIN = 1e-4  # ≫ eps · |h| for the eps = 1e-6 of check_gradients
# Central differences carry a rounding error of about 1e-16 · L / eps ≈ 1e-10 per
# entry: an array whose true gradient is much smaller (a vanishing gradient deep
# in a sigmoid stack) cannot be checked to 1e-6 relative, right or wrong.
MIN_CHECKABLE_GRADIENT = 1e-3


def assume_gradients_are_checkable(est, X, y, w):
    _, coef_grads, intercept_grads = est.loss_and_gradients(X, y, sample_weight=w)
    norms = [np.linalg.norm(g) for g in coef_grads + intercept_grads]
    assume(all(n == 0 or n > MIN_CHECKABLE_GRADIENT for n in norms))


@st.composite
def classification_cases(draw):
    """A classifier initialised by one partial_fit step, and data to check it on."""
    seed = draw(st.integers(0, 2**16))
    n_samples = draw(st.integers(2, 12))
    n_features = draw(st.integers(1, 4))
    n_classes = draw(st.integers(2, 4))
    hidden = tuple(draw(st.lists(st.integers(1, 5), min_size=1, max_size=3)))
    activation = draw(st.sampled_from(["relu", "tanh", "sigmoid"]))
    alpha = draw(st.sampled_from([0.0, 1e-3, 0.5]))
    weighted = draw(st.booleans())
    rng = np.random.RandomState(seed)
    X = rng.randn(n_samples, n_features)
    y = rng.randint(n_classes, size=n_samples)
    w = rng.uniform(0.1, 3.0, n_samples) if weighted else None
    clf = SoftmaxMLPClassifier(
        hidden_layer_sizes=hidden,
        activation=activation,
        alpha=alpha,
        learning_rate=1e-2,
        random_state=seed,
    )
    clf.partial_fit(X, y, sample_weight=w, classes=np.arange(n_classes))
    return clf, X, y, w


@st.composite
def regression_cases(draw):
    """A regressor initialised by one partial_fit step, and data to check it on."""
    seed = draw(st.integers(0, 2**16))
    n_samples = draw(st.integers(1, 12))
    n_features = draw(st.integers(1, 4))
    n_outputs = draw(st.integers(1, 3))
    output_activation = draw(st.sampled_from(["identity", "sigmoid"]))
    rng = np.random.RandomState(seed)
    X = rng.randn(n_samples, n_features)
    y = rng.uniform(0, 1, (n_samples, n_outputs))
    if output_activation == "identity":
        y = 3 * y - 1
    if n_outputs == 1:
        y = y.ravel()
    weighted = draw(st.booleans())
    w = rng.uniform(0.1, 3.0, n_samples) if weighted else None
    reg = TwoLayerSigmoidRegressor(
        hidden_size=draw(st.integers(1, 5)),
        output_activation=output_activation,
        fit_intercept=draw(st.booleans()),
        alpha=draw(st.sampled_from([0.0, 1e-3, 0.5])),
        learning_rate=1e-2,
        random_state=seed,
    )
    reg.partial_fit(X, y, sample_weight=w)
    return reg, X, y, w


def hidden_pre_activations(clf, X):
    """a_k = h_{k−1} W_k + b_k of every hidden layer, recomputed from the views."""
    g = {
        "relu": lambda a: np.maximum(a, 0),
        "tanh": np.tanh,
        "sigmoid": lambda a: 1 / (1 + np.exp(-a)),
    }[clf.activation]
    h, out = X, []
    for W, b in zip(clf.coefs_[:-1], clf.intercepts_[:-1], strict=True):
        a = h @ W + b
        out.append(a)
        h = g(a)
    return out


# -- gradients --------------------------------------------------------------------
@FEW_CASES
@given(classification_cases())
def test_classifier_gradients_match_finite_differences(case):
    clf, X, y, w = case
    if clf.activation == "relu":
        # Finite differences across relu's kink at 0 measure no derivative.
        distance = min(np.abs(a).min() for a in hidden_pre_activations(clf, X))
        assume(distance > RELU_KINK_MARGIN)
    assume_gradients_are_checkable(clf, X, y, w)
    report = check_gradients(clf, X, y, sample_weight=w)
    assert report.max_relative_error < 1e-6, str(report)


@FEW_CASES
@given(regression_cases())
def test_regressor_gradients_match_finite_differences(case):
    reg, X, y, w = case
    assume_gradients_are_checkable(reg, X, y, w)
    report = check_gradients(reg, X, y, sample_weight=w)
    assert report.max_relative_error < 1e-6, str(report)


# -- softmax and loss ---------------------------------------------------------------
@FEW_CASES
@given(classification_cases(), st.floats(1e-3, 1e4), st.floats(-1e3, 1e3))
def test_softmax_rows_sum_to_one_and_ignore_a_common_shift(case, scale, shift):
    clf, X, _, _ = case
    clf.coefs_[-1][...] *= scale  # logits of any size, through the live views
    proba = clf.predict_proba(X)
    log_proba = clf.predict_log_proba(X)
    assert np.isfinite(proba).all() and np.isfinite(log_proba).all()
    assert np.all((proba >= 0) & (proba <= 1))
    assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert_allclose(np.exp(log_proba).sum(axis=1), 1.0, rtol=0, atol=1e-12)
    clf.intercepts_[-1][...] += shift  # the same constant added to every logit
    assert_allclose(clf.predict_proba(X), proba, rtol=0, atol=1e-9)


@FEW_CASES
@given(classification_cases())
def test_classifier_loss_is_non_negative(case):
    clf, X, y, w = case
    loss, _, _ = clf.loss_and_gradients(X, y, sample_weight=w)
    assert loss >= 0
    assert clf.loss_ >= 0
    proba = clf.predict_proba(X)[np.arange(len(y)), y]
    weights = np.ones(len(y)) if w is None else w
    data_term = -np.average(np.log(proba), weights=weights)
    assert loss >= data_term - 1e-12  # the L2 term only adds


@FEW_CASES
@given(regression_cases())
def test_regressor_loss_is_non_negative(case):
    reg, X, y, w = case
    loss, _, _ = reg.loss_and_gradients(X, y, sample_weight=w)
    assert loss >= 0
    assert reg.loss_ >= 0


# -- integer sample weights are repeated rows ----------------------------------------
@st.composite
def integer_weight_cases(draw):
    seed = draw(st.integers(0, 2**16))
    n_samples = draw(st.integers(3, 10))
    rng = np.random.RandomState(seed)
    X = rng.randn(n_samples, draw(st.integers(1, 3)))
    k = rng.randint(1, 4, n_samples)
    kind = draw(st.sampled_from(["classifier", "regressor"]))
    solver = draw(st.sampled_from(["gd", "lbfgs"]))
    params = {
        "solver": solver,
        "max_iter": 5,
        "learning_rate": 0.1,
        "alpha": draw(st.sampled_from([0.0, 1e-2])),
        "random_state": seed,
    }
    if kind == "classifier":
        y = np.arange(n_samples) % 2  # both classes present, whatever the weights
        est = SoftmaxMLPClassifier(
            hidden_layer_sizes=(3,),
            activation=draw(st.sampled_from(["tanh", "sigmoid"])),
            **params,
        )
    else:
        y = X.sum(axis=1)
        est = TwoLayerSigmoidRegressor(hidden_size=3, **params)
    return est, X, y, k


def _outputs(est, X):
    if isinstance(est, SoftmaxMLPClassifier):
        return est.predict_proba(X)
    return est.predict(X)


@FEW_CASES
@given(integer_weight_cases())
def test_integer_sample_weight_equals_repeating_rows(case):
    est, X, y, k = case
    weighted = est.fit(X, y, sample_weight=k.astype(float))
    outputs_weighted = _outputs(weighted, X)
    loss_weighted = weighted.loss_and_gradients(X, y, sample_weight=k)
    repeated = type(est)(**est.get_params()).fit(np.repeat(X, k, 0), np.repeat(y, k))
    assert_allclose(_outputs(repeated, X), outputs_weighted, rtol=1e-7, atol=1e-9)
    # and at the same weights, the same objective and gradients
    loss_repeated = weighted.loss_and_gradients(np.repeat(X, k, 0), np.repeat(y, k))
    assert_allclose(loss_repeated[0], loss_weighted[0], rtol=1e-12)
    for g_rep, g_w in zip(
        loss_repeated[1] + loss_repeated[2],
        loss_weighted[1] + loss_weighted[2],
        strict=True,
    ):
        assert_allclose(g_rep, g_w, rtol=1e-10, atol=1e-14)
