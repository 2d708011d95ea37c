"""Every activation as a checked pair: the built-ins' derivatives and stability, the
network's gradients through each of them, and a user's ``Activation`` through fit,
pickle, clone and search — or refused, with a message saying why."""

import dataclasses
import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import ndtr
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

from skbackprop import (
    Activation,
    BackpropMLPRegressor,
    SoftmaxMLPClassifier,
    _activations,
    check_activation,
    check_gradients,
)
from skbackprop._activations import ACTIVATIONS
from skbackprop._network import forward
from skbackprop._parameters import Architecture, Workspace, glorot_uniform

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

NAMES = sorted(ACTIVATIONS)
RNG = np.random.RandomState(0)
X = RNG.randn(20, 3)
Y_REG = np.c_[X[:, 0] - X[:, 1], np.sin(X[:, 2])]
Y_CLF = np.arange(20) % 3
W = RNG.uniform(0.2, 3.0, 20)
W[::5] = 0.0


# -- module-level pairs: these pickle ----------------------------------------------
def cube_plus(a):
    return a + a * a * a / 3.0


def cube_plus_derivative(a, z):
    return 1.0 + a * a


def cube_plus_wrong_derivative(a, z):
    return 1.0 + 1.1 * a * a


def sigmoid_z(a):
    return 1.0 / (1.0 + np.exp(-np.clip(a, -500, 500)))


def sigmoid_z_derivative(a, z):
    return z * (1 - z)


def isru(a):
    return a / np.sqrt(1.0 + a * a)


def isru_derivative(a, z):
    return (1.0 + a * a) ** -1.5


CUBE = Activation(cube_plus, cube_plus_derivative, name="cube")
ISRU = Activation(isru, isru_derivative)  # bounded: stays tame through depth
SIGMOID = Activation(sigmoid_z, sigmoid_z_derivative)


def reference(name, a):
    """g(a) from the textbook definition, in float64."""
    a = np.asarray(a, dtype=np.float64)
    return {
        "identity": a,
        "sigmoid": 1 / (1 + np.exp(-a)),
        "logistic": 1 / (1 + np.exp(-a)),
        "tanh": np.tanh(a),
        "relu": np.maximum(a, 0),
        "leaky_relu": np.where(a > 0, a, 0.01 * a),
        "elu": np.where(a > 0, a, np.exp(a) - 1),
        "softplus": np.log1p(np.exp(a)),
        "gelu": a * ndtr(a),
        "silu": a / (1 + np.exp(-a)),
    }[name]


# -- built-ins ----------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_builtin_activation_matches_its_definition(name):
    a = np.linspace(-8, 8, 161) + 0.013
    assert_allclose(
        ACTIVATIONS[name].activate_inplace(a.copy()), reference(name, a), rtol=1e-13
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", NAMES)
def test_builtin_derivative_passes_the_finite_difference_check(name, dtype):
    report = check_activation(name, dtype)
    assert report.max_relative_error < 1e-7
    assert -6 < report.worst_point < 6


@pytest.mark.parametrize("name", NAMES)
def test_derivative_through_the_output_only_where_declared(name):
    # a derivative that says it does not need a must work without it
    layer = ACTIVATIONS[name]
    a = np.linspace(-3, 3, 25) + 0.01
    z = layer.activate_inplace(a.copy())
    expected = np.broadcast_to(layer.derivative(a, z), a.shape)
    if layer.needs_preactivation:
        assert name in ("gelu", "silu")
    else:
        assert_allclose(np.broadcast_to(layer.derivative(None, z), a.shape), expected)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", NAMES)
def test_builtin_is_finite_without_warnings_at_extreme_inputs(name, dtype):
    a = np.array([-1e6, -1e3, -100.0, -0.5, 0.0, 0.5, 100.0, 1e3, 1e6], dtype=dtype)
    layer = ACTIVATIONS[name]
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise"):
        warnings.simplefilter("error")
        z = layer.activate_inplace(a.copy(), np.zeros(1, dtype))
        g_prime = np.broadcast_to(layer.derivative(a.copy(), z.copy()), a.shape)
        out = np.empty_like(a)
        g_prime_out = np.broadcast_to(layer.derivative(a, z, out), a.shape)
    assert z.dtype == dtype and np.isfinite(z).all()
    assert np.isfinite(g_prime).all() and np.isfinite(g_prime_out).all()
    assert_array_equal(g_prime_out, g_prime)
    assert ((g_prime >= -0.2) & (g_prime <= 1.2)).all()  # every built-in's range
    # the tails: g(1e6) is 1e6 or 1 or 0, and g'(±1e6) the limit slope
    assert z[-1] in (1e6, 1.0)
    assert g_prime[-1] == 1.0 or name in ("sigmoid", "logistic", "tanh")


@pytest.mark.parametrize("name", ["sigmoid", "logistic"])
def test_logistic_is_sigmoid_with_sklearn_initialisation(name):
    assert ACTIVATIONS[name] is ACTIVATIONS["sigmoid"]
    assert ACTIVATIONS[name].init_factor == 2.0
    others = {n for n in NAMES if n not in ("sigmoid", "logistic")}
    assert {ACTIVATIONS[n].init_factor for n in others} == {6.0}


# -- the network's gradients through every activation --------------------------------
def _estimator(kind, activation, depth):
    hidden = (5,) if depth == 1 else (5, 4, 3)
    params = {"hidden_layer_sizes": hidden, "activation": activation}
    params.update(solver="gd", learning_rate=0.05, alpha=0.01, random_state=0)
    if kind == "classifier":
        return SoftmaxMLPClassifier(**params).partial_fit(X, Y_CLF, classes=[0, 1, 2])
    return BackpropMLPRegressor(**params).partial_fit(X, Y_REG)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("depth", [1, 3])
@pytest.mark.parametrize("kind", ["classifier", "regressor"])
@pytest.mark.parametrize("activation", [*NAMES, ISRU], ids=[*NAMES, "Activation"])
def test_gradients_match_finite_differences(activation, kind, depth, weighted):
    est = _estimator(kind, activation, depth)
    y = Y_CLF if kind == "classifier" else Y_REG
    # eps = 1e-5 balances truncation and rounding for the small gradients of a
    # deep sigmoid's first layer
    w = W if weighted else None
    report = check_gradients(est, X, y, sample_weight=w, eps=1e-5)
    assert report.max_relative_error < 1e-6, str(report)


def test_wrong_builtin_derivative_is_caught_by_both_checks(monkeypatch):
    elu = ACTIVATIONS["elu"]

    def off_by_a_tenth(a, z, out=None):
        return elu.derivative(a, z, out) * 1.1

    wrong = dataclasses.replace(elu, derivative=off_by_a_tenth)
    monkeypatch.setitem(_activations.ACTIVATIONS, "elu", wrong)
    with pytest.raises(ValueError, match="'elu'.*disagrees"):
        check_activation("elu")
    est = _estimator("regressor", "elu", 3)
    assert check_gradients(est, X, Y_REG).max_relative_error > 0.01


@pytest.mark.parametrize("name", NAMES)
def test_float32_training_stays_float32(name):
    est = BackpropMLPRegressor(
        hidden_layer_sizes=(6, 4), activation=name, max_iter=3, random_state=0
    ).fit(X.astype(np.float32), Y_REG)
    assert all(c.dtype == np.float32 for c in est.coefs_)
    assert est.predict(X.astype(np.float32)).dtype == np.float32
    assert np.isfinite(est.loss_curve_).all()


@pytest.mark.parametrize("name", NAMES)
def test_trained_network_predicts_finite_values_on_huge_inputs(name):
    est = BackpropMLPRegressor(
        hidden_layer_sizes=(6, 4), activation=name, max_iter=3, random_state=0
    ).fit(X, Y_REG)
    est32 = clone(est).fit(X.astype(np.float32), Y_REG)
    huge = np.array([[1e6, -1e6, 1e6], [-1e6, 1e6, -1e6]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for model in (est, est32):
            assert np.isfinite(model.predict(huge)).all()


# -- a user's pair ------------------------------------------------------------------
def test_check_activation_reports_error_and_worst_point():
    report = check_activation(CUBE)
    assert report.name == "cube"
    assert report.max_relative_error < 1e-7
    assert report.worst_point != round(report.worst_point)  # never an integer
    assert "cube" in str(report)


def test_activation_with_module_level_functions_fits_pickles_and_clones():
    est = BackpropMLPRegressor(
        hidden_layer_sizes=(5,), activation=SIGMOID, solver="lbfgs", random_state=0
    ).fit(X, Y_REG)
    assert est.score(X, Y_REG) > 0.5
    # the same function by hand and built in: the same loss and gradients
    built_in = clone(est).set_params(activation="sigmoid").fit(X, Y_REG)
    for mine, theirs in zip(
        est.coefs_ + est.intercepts_,
        built_in.coefs_ + built_in.intercepts_,
        strict=True,
    ):
        theirs[...] = mine
    loss, coef_grads, intercept_grads = est.loss_and_gradients(X, Y_REG, W)
    loss_b, coef_grads_b, intercept_grads_b = built_in.loss_and_gradients(X, Y_REG, W)
    assert_allclose(loss, loss_b, rtol=1e-12)
    for mine, theirs in zip(
        coef_grads + intercept_grads, coef_grads_b + intercept_grads_b, strict=True
    ):
        assert_allclose(mine, theirs, rtol=1e-10, atol=1e-14)
    restored = pickle.loads(pickle.dumps(est))
    assert_array_equal(restored.predict(X), est.predict(X))
    assert restored.activation == SIGMOID
    twin = clone(est)
    assert twin.get_params()["activation"] == SIGMOID
    assert_array_equal(twin.fit(X, Y_REG).predict(X), est.predict(X))


def test_activation_repr_names_the_functions():
    assert repr(CUBE) == ("Activation(cube_plus, cube_plus_derivative, name='cube')")
    assert SIGMOID.display_name == "sigmoid_z"


def test_grid_search_over_names_and_activation_objects_mixed():
    grid = {"activation": ["relu", CUBE, "gelu", SIGMOID]}
    search = GridSearchCV(
        SoftmaxMLPClassifier(hidden_layer_sizes=(4,), max_iter=5, random_state=0),
        grid,
        cv=2,
    ).fit(X, Y_CLF)
    assert [p["activation"] for p in search.cv_results_["params"]] == grid["activation"]
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


def _new_and_fitted():
    new = BackpropMLPRegressor(hidden_layer_sizes=(4,), max_iter=3, random_state=0)
    fitted = clone(new).fit(X, Y_REG)
    return new, fitted


def _assert_refused(activation, match):
    new, fitted = _new_and_fitted()
    before = [c.copy() for c in fitted.coefs_], fitted.predict(X)
    new.set_params(activation=activation)
    with pytest.raises(ValueError, match=match):
        new.fit(X, Y_REG)
    assert not hasattr(new, "coefs_") and not hasattr(new, "n_layers_")
    with pytest.raises(ValueError, match=match):
        new.partial_fit(X, Y_REG)
    assert not hasattr(new, "coefs_")
    fitted.set_params(activation=activation)
    with pytest.raises(ValueError, match=match):
        fitted.fit(X, Y_REG)
    for old, now in zip(before[0], fitted.coefs_, strict=True):
        assert_array_equal(now, old)
    assert_array_equal(fitted.predict(X), before[1])


def test_wrong_derivative_is_refused_at_fit_naming_activation_point_and_values():
    wrong = Activation(cube_plus, cube_plus_wrong_derivative, name="cube")
    _assert_refused(wrong, r"Activation 'cube'.*at a = -?5\.995.*derivative returns")
    with pytest.raises(ValueError) as error:
        check_activation(wrong)
    # both values: 1 + 1.1·a² and 1 + a² at the worst point a = ±5.995
    assert "40.53" in str(error.value) and "36.94" in str(error.value)


def test_shape_changing_function_is_refused():
    reducer = Activation(lambda a: a.sum(axis=-1), lambda a, z: np.ones_like(a), "sum")
    _assert_refused(reducer, "Activation 'sum'.*function changed the shape")
    bad_derivative = Activation(np.tanh, lambda a, z: (1 - z * z)[:1], "tanh_cut")
    _assert_refused(
        bad_derivative, "Activation 'tanh_cut'.*derivative changed the shape"
    )


def test_nan_returning_function_is_refused():
    log_act = Activation(np.log, lambda a, z: 1 / a, "log")  # NaN below 0
    with np.errstate(invalid="ignore", divide="ignore"):
        _assert_refused(log_act, "Activation 'log'.*function returned a non-finite")
    nan_derivative = Activation(
        np.tanh, lambda a, z: np.where(a > 3, np.nan, 1 - z * z)
    )
    _assert_refused(nan_derivative, "derivative returned a non-finite value")


def test_failing_function_is_refused():
    def broken(a):
        raise RuntimeError("kaputt")

    _assert_refused(
        Activation(broken, cube_plus_derivative),
        "'broken'.*function raised RuntimeError",
    )


def test_activation_in_a_fitted_network_is_not_checked_again(monkeypatch):
    est = BackpropMLPRegressor(
        hidden_layer_sizes=(4,), activation=CUBE, solver="gd", random_state=0
    ).partial_fit(X, Y_REG)
    calls = []
    monkeypatch.setattr(
        "skbackprop._fitting.check_activation", lambda *args: calls.append(args)
    )
    est.partial_fit(X, Y_REG)
    assert calls == []
    est.fit(X, Y_REG)  # a new network: checked again, in the data's dtype
    assert calls == [(CUBE, np.dtype(np.float64))]


@pytest.mark.parametrize("activation", [*NAMES, CUBE], ids=[*NAMES, "Activation"])
def test_training_keeps_the_pre_activation_only_when_the_derivative_needs_it(
    activation,
):
    architecture = Architecture((3, 5, 4, 2), activation, "identity")
    workspace = Workspace(architecture, 10, np.float64)
    needs = activation in ("gelu", "silu") or isinstance(activation, Activation)
    assert [p is not None for p in workspace.pre] == [needs, needs]
    params = glorot_uniform(architecture, np.random.RandomState(0), np.float64)
    layers = forward(params, X[:10], workspace)
    if needs:  # the kept a_k gives back h_k through g
        for k in (0, 1):
            h = workspace.activation.activate_inplace(workspace.pre[k].copy())
            assert_allclose(h, layers[k + 1], rtol=1e-15)
