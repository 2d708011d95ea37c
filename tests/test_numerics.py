"""Extreme but finite inputs (SPEC §3): no overflow warnings and finite outputs.

Inputs up to ±1e6 unscaled, logits far beyond where ``exp`` overflows (709 in
float64, 88 in float32), saturated sigmoids and classes whose probability
underflows to 0 — with every warning an error, in float64 and float32.
"""

import copy

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skbackprop import SoftmaxMLPClassifier, TwoLayerSigmoidRegressor

pytestmark = [
    pytest.mark.filterwarnings("error"),
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
]

DTYPES = (np.float64, np.float32)
EXP_OVERFLOW = {np.float64: 709.8, np.float32: 88.8}  # log of the largest float
SUM_TOLERANCE = {np.float64: 1e-12, np.float32: 1e-6}

RNG = np.random.RandomState(0)
X_UNIT = RNG.uniform(-1, 1, (60, 4))
X_HUGE = X_UNIT * 1e6  # values up to ±1e6
Y_CLASSES = np.digitize(X_UNIT[:, 0] + X_UNIT[:, 1], [-0.5, 0.5])  # 0, 1, 2
Y_REG = X_UNIT[:, 0] - 0.5 * X_UNIT[:, 1]
Y_UNIT = (Y_REG - Y_REG.min()) / (Y_REG.max() - Y_REG.min())  # in [0, 1]


def classifier(activation="relu", solver="lbfgs"):
    return SoftmaxMLPClassifier(
        hidden_layer_sizes=(8, 8),
        activation=activation,
        solver=solver,
        max_iter=30,
        random_state=0,
    )


def regressor(output_activation="identity", solver="lbfgs"):
    return TwoLayerSigmoidRegressor(
        hidden_size=8,
        output_activation=output_activation,
        solver=solver,
        max_iter=30,
        random_state=0,
    )


def assert_classifier_outputs_are_sound(clf, X, dtype):
    proba = clf.predict_proba(X)
    log_proba = clf.predict_log_proba(X)
    scores = clf.decision_function(X)
    for output in (proba, log_proba, scores):
        assert output.dtype == dtype
        assert np.isfinite(output).all()
    assert np.all((proba >= 0) & (proba <= 1))
    assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=SUM_TOLERANCE[dtype])
    assert np.all(log_proba <= 0)
    assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])
    return proba, log_proba, scores


# -- training on unscaled inputs ------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_classifier_trains_on_inputs_up_to_1e6_without_warnings(
    activation, solver, dtype
):
    X = X_HUGE.astype(dtype)
    clf = classifier(activation, solver).fit(X, Y_CLASSES)
    assert clf.coefs_[0].dtype == dtype
    assert np.isfinite(clf.loss_) and np.isfinite(clf.loss_curve_).all()
    assert_classifier_outputs_are_sound(clf, X, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
@pytest.mark.parametrize("output_activation", ["identity", "sigmoid"])
def test_regressor_trains_on_inputs_up_to_1e6_without_warnings(
    output_activation, solver, dtype
):
    X = X_HUGE.astype(dtype)
    y = (Y_REG if output_activation == "identity" else Y_UNIT).astype(dtype)
    reg = regressor(output_activation, solver).fit(X, y)
    y_pred = reg.predict(X)
    assert y_pred.dtype == dtype
    assert np.isfinite(y_pred).all()
    assert np.isfinite(reg.loss_)
    if output_activation == "sigmoid":
        assert np.all((y_pred >= 0) & (y_pred <= 1))


@pytest.mark.parametrize("dtype", DTYPES)
def test_relu_logits_on_unscaled_inputs_exceed_exp_range_yet_proba_is_exact(dtype):
    X = X_HUGE.astype(dtype)
    clf = classifier("relu", "adam").fit(X, Y_CLASSES)
    _, _, logits = assert_classifier_outputs_are_sound(clf, X, dtype)
    logits = logits.astype(np.float64)  # three classes: the logits a_L themselves
    spread = logits.max(axis=1) - logits.min(axis=1)
    # The point of the test: exp of these logits, unshifted, would overflow.
    assert np.abs(logits).max() > EXP_OVERFLOW[dtype]
    assert spread.max() > EXP_OVERFLOW[dtype]


# -- a model fitted on scaled data, asked about extreme inputs ------------------
@pytest.fixture(scope="module", params=DTYPES, ids=lambda d: d.__name__)
def fitted_classifiers(request):
    """relu (logits grow with the inputs, without bound) and tanh (hidden units
    saturate at ±1) classifiers fitted on scaled data, and their dtype."""
    dtype = request.param
    X = X_UNIT.astype(dtype)
    return {
        "relu": classifier("relu").fit(X, Y_CLASSES),
        "tanh": classifier("tanh").fit(X, Y_CLASSES),
    }, dtype


@pytest.fixture(scope="module", params=DTYPES, ids=lambda d: d.__name__)
def fitted_binary_classifier(request):
    dtype = request.param
    y = (Y_CLASSES > 0).astype(int)
    return classifier("relu").fit(X_UNIT.astype(dtype), y), dtype


@pytest.mark.parametrize("scale", [1e3, 1e6])
def test_classifier_outputs_on_extreme_inputs_are_finite_and_normalised(
    fitted_classifiers, scale
):
    classifiers, dtype = fitted_classifiers
    X = (X_UNIT * scale).astype(dtype)
    for clf in classifiers.values():
        assert_classifier_outputs_are_sound(clf, X, dtype)


def test_probability_underflowing_to_zero_has_finite_log_probability(
    fitted_classifiers,
):
    classifiers, dtype = fitted_classifiers
    clf = classifiers["relu"]
    X = (X_UNIT * 1e6).astype(dtype)
    proba, log_proba, _ = assert_classifier_outputs_are_sound(clf, X, dtype)
    vanished = proba == 0
    assert vanished.any()  # some classes' probability is exactly 0 here
    assert np.isfinite(log_proba[vanished]).all()
    assert np.all(log_proba[vanished] < np.log(np.finfo(dtype).tiny))
    # where the probability is representable, log_proba is its logarithm
    visible = proba > 1e-3
    assert_allclose(
        log_proba[visible],
        np.log(proba[visible]),
        rtol=0,
        atol=10 * np.finfo(dtype).eps,
    )


def test_logits_beyond_exp_range_give_one_hot_probabilities(fitted_classifiers):
    classifiers, dtype = fitted_classifiers
    X = X_UNIT[:10].astype(dtype)
    clf_big = _with_scaled_output_layer(classifiers["tanh"], 1e4)
    proba, log_proba, scores = assert_classifier_outputs_are_sound(clf_big, X, dtype)
    assert np.abs(scores).max() > EXP_OVERFLOW[dtype]
    winners = scores.argmax(axis=1)
    assert_array_equal(proba.argmax(axis=1), winners)
    assert_allclose(proba.max(axis=1), 1.0, rtol=0, atol=SUM_TOLERANCE[dtype])
    # log ŷ of the winner is −log Σ exp(a − a_max), close to 0, never log(0)
    assert_allclose(log_proba[np.arange(10), winners], 0.0, atol=1e-3)


def test_binary_decision_function_is_finite_and_signs_the_prediction(
    fitted_binary_classifier,
):
    clf, dtype = fitted_binary_classifier
    X = (X_UNIT * 1e6).astype(dtype)
    scores = clf.decision_function(X)
    assert scores.shape == (len(X),)
    assert scores.dtype == dtype
    assert np.isfinite(scores).all()
    assert_array_equal(clf.predict(X), clf.classes_[(scores > 0).astype(int)])
    assert_classifier_outputs_are_sound(clf, X, dtype)


def _with_scaled_output_layer(clf, factor):
    """A copy of ``clf`` whose last weights and bias are multiplied by ``factor``
    (written through the ``coefs_``/``intercepts_`` views)."""
    big = copy.deepcopy(clf)
    big.coefs_[-1][...] *= factor
    big.intercepts_[-1][...] *= factor
    return big


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("output_activation", ["identity", "sigmoid"])
def test_saturated_sigmoids_give_finite_regression_outputs(output_activation, dtype):
    y = (Y_REG if output_activation == "identity" else Y_UNIT).astype(dtype)
    reg = regressor(output_activation).fit(X_UNIT.astype(dtype), y)
    X = (X_UNIT * 1e6).astype(dtype)
    y_pred = reg.predict(X)
    assert y_pred.dtype == dtype
    assert np.isfinite(y_pred).all()
    # Every hidden unit is saturated: its output is 0 or 1 to machine precision.
    hidden = X @ reg.coefs_[0] + reg.intercepts_[0]
    assert np.abs(hidden).min() > 40
    if output_activation == "sigmoid":
        assert np.all((y_pred >= 0) & (y_pred <= 1))
        reg.coefs_[-1][...] *= 1e4  # the output sigmoid saturates as well
        assert np.isin(reg.predict(X), [0.0, 1.0]).all()


@pytest.mark.parametrize("dtype", DTYPES)
def test_loss_and_gradients_are_finite_at_extreme_inputs(dtype):
    X = X_UNIT.astype(dtype)
    clf = classifier("relu").fit(X, Y_CLASSES)
    reg = regressor("sigmoid").fit(X, Y_UNIT.astype(dtype))
    X_big = (X_UNIT * 1e6).astype(dtype)
    for est, y in ((clf, Y_CLASSES), (reg, Y_UNIT.astype(dtype))):
        loss, coef_grads, intercept_grads = est.loss_and_gradients(X_big, y)
        assert np.isfinite(loss) and loss >= 0
        for g in coef_grads + intercept_grads:
            assert g.dtype == dtype
            assert np.isfinite(g).all()
