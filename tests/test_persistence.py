"""Secure persistence with skops: the fitted state is plain values, so skops
trusts everything but the estimator's own class, and a loaded model continues
training exactly where it stopped."""

import numpy as np
import pytest
import skops.io as sio
from numpy.testing import assert_array_equal

from skbackprop import (
    Activation,
    BackpropMLPClassifier,
    BackpropMLPRegressor,
    SoftmaxMLPClassifier,
    TwoLayerSigmoidRegressor,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

RNG = np.random.RandomState(0)
X = RNG.randn(60, 4)
Y_BINARY = np.where(X[:, 0] > 0, "yes", "no")
Y_REG = X[:, 0] - 0.5 * X[:, 1]
ESTIMATORS = {
    "classifier": lambda **p: SoftmaxMLPClassifier(hidden_layer_sizes=(6, 5), **p),
    "regressor": lambda **p: TwoLayerSigmoidRegressor(hidden_size=6, **p),
    "mlp_regressor": lambda **p: BackpropMLPRegressor(hidden_layer_sizes=(6,), **p),
    "mlp_classifier": lambda **p: BackpropMLPClassifier(hidden_layer_sizes=(6,), **p),
}
SCHEDULES = ("constant", "invscaling", "adaptive", "cosine")


def qualified_name(cls):
    return f"{cls.__module__}.{cls.__name__}"


def target(kind):
    return Y_BINARY if kind.endswith("classifier") else Y_REG


def softsign(a):
    return a / (1 + np.abs(a))


def softsign_derivative(a, z):
    return (1 - np.abs(z)) ** 2


@pytest.mark.parametrize("schedule", SCHEDULES)
@pytest.mark.parametrize("solver", ("gd", "sgd", "adam", "lbfgs"))
@pytest.mark.parametrize("kind", ESTIMATORS)
def test_skops_lists_only_the_estimators_class_as_untrusted(kind, solver, schedule):
    est = ESTIMATORS[kind](
        solver=solver, learning_rate_schedule=schedule, max_iter=3, random_state=0
    )
    est.fit(X.astype(np.float32), target(kind))
    untrusted = sio.get_untrusted_types(data=sio.dumps(est))
    assert untrusted == [qualified_name(type(est))]


@pytest.mark.parametrize("kind", ESTIMATORS)
def test_skops_lists_only_the_estimators_class_after_partial_fit(kind):
    est = ESTIMATORS[kind](solver="sgd", random_state=0, early_stopping=False)
    classes = {"classes": ["no", "yes"]} if kind.endswith("classifier") else {}
    est.partial_fit(X, target(kind), **classes)
    assert sio.get_untrusted_types(data=sio.dumps(est)) == [qualified_name(type(est))]


def test_persisted_state_holds_only_plain_values():
    est = ESTIMATORS["classifier"](solver="adam", max_iter=3, random_state=0)
    state = est.fit(X, Y_BINARY).__getstate__()
    plain = (np.ndarray, np.random.RandomState, int, float, str, bool, type(None))

    def check(value):
        if isinstance(value, dict):
            for key, item in value.items():
                assert isinstance(key, str)
                check(item)
        elif isinstance(value, list | tuple):
            for item in value:
                check(item)
        else:
            assert isinstance(value, plain), type(value)

    check(state)
    assert set(state["_optimizer"]) == {
        "kind",
        "learning_rate",
        "beta_1",
        "beta_2",
        "epsilon",
        "t",
        "m_sum",
        "v_sum",
    }
    assert state["_params"]["flat"] is est._params.flat  # no copy on saving


def test_skops_lists_a_custom_activations_functions_too():
    bent = Activation(softsign, softsign_derivative, name="softsign")
    est = BackpropMLPRegressor(hidden_layer_sizes=(5,), activation=bent, max_iter=3)
    est.fit(X, Y_REG)
    untrusted = sio.get_untrusted_types(data=sio.dumps(est))
    assert qualified_name(BackpropMLPRegressor) in untrusted
    assert f"{__name__}.softsign" in untrusted
    assert f"{__name__}.softsign_derivative" in untrusted
    restored = sio.loads(sio.dumps(est), trusted=untrusted)
    assert_array_equal(restored.predict(X), est.predict(X))


@pytest.mark.parametrize("schedule", ("adaptive", "invscaling"))
@pytest.mark.parametrize("solver", ("gd", "sgd", "adam"))
@pytest.mark.parametrize("kind", ESTIMATORS)
def test_partial_fit_after_skops_load_continues_as_without_the_round_trip(
    kind, solver, schedule
):
    # A large rate and n_iter_no_change=1: the adaptive schedule lowers its rate
    # before the round trip, which must carry the lowered rate over.
    params = {
        "solver": solver,
        "learning_rate_schedule": schedule,
        "learning_rate": 0.5,
        "n_iter_no_change": 1,
        "tol": 10.0,
        "batch_size": 16,
        "random_state": 0,
    }
    classes = {"classes": ["no", "yes"]} if kind.endswith("classifier") else {}
    kept, saved = ESTIMATORS[kind](**params), ESTIMATORS[kind](**params)
    for est in (kept, saved):
        est.partial_fit(X, target(kind), **classes)
        for _ in range(3):
            est.partial_fit(X, target(kind))
    untrusted = [qualified_name(type(saved))]
    loaded = sio.loads(sio.dumps(saved), trusted=untrusted)
    for _ in range(3):
        kept.partial_fit(X, target(kind))
        loaded.partial_fit(X, target(kind))
    assert kept._params.flat.tobytes() == loaded._params.flat.tobytes()
    assert loaded.learning_rate_curve_ == kept.learning_rate_curve_
    assert loaded.loss_curve_ == kept.loss_curve_
    if schedule == "adaptive":
        assert min(kept.learning_rate_curve_) < 0.5  # the lowered rate carried over
