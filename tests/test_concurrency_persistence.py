"""Prediction from many threads at once, pickle/joblib/skops round trips, resuming a
model pickled mid-training, and reproducibility with a fixed random_state."""

import io
import pickle
from concurrent.futures import ThreadPoolExecutor

import joblib
import numpy as np
import pytest
import skops.io as sio
from numpy.testing import assert_array_equal

from skbackprop import (
    BackpropMLPClassifier,
    BackpropMLPRegressor,
    SoftmaxMLPClassifier,
    TwoLayerSigmoidRegressor,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

RNG = np.random.RandomState(0)
X = RNG.randn(90, 5)
Y_CLF = np.array(["cat", "dog", "eel"])[np.digitize(X[:, 0] + X[:, 1], [-0.5, 0.5])]
Y_REG = np.c_[X[:, 0] - X[:, 2], np.sin(X[:, 1])]
KINDS = ("regressor", "classifier", "mlp_regressor", "mlp_classifier")
SOLVERS = ("gd", "sgd", "adam", "lbfgs")


def make(kind, **params):
    params = {"max_iter": 20, "random_state": 0, **params}
    if kind == "regressor":
        return TwoLayerSigmoidRegressor(**{"hidden_size": 16, **params})
    if kind == "mlp_regressor":
        # gelu: the network keeps its pre-activations while training
        params = {"hidden_layer_sizes": (16, 8), "activation": "gelu", **params}
        return BackpropMLPRegressor(**params)
    if kind == "mlp_classifier":
        params = {"hidden_layer_sizes": (16, 8), "activation": "silu", **params}
        return BackpropMLPClassifier(**params)
    return SoftmaxMLPClassifier(**{"hidden_layer_sizes": (16, 8), **params})


def target(kind):
    return Y_CLF if kind.endswith("classifier") else Y_REG


def outputs(est, X):
    """Every prediction method's output, in a fixed order."""
    if isinstance(est, SoftmaxMLPClassifier | BackpropMLPClassifier):
        return [
            est.predict(X),
            est.predict_proba(X),
            est.predict_log_proba(X),
            est.decision_function(X),
        ]
    return [est.predict(X)]


def assert_bitwise_equal(expected, actual):
    assert_array_equal(actual, expected)
    assert actual.dtype == expected.dtype
    if actual.dtype != object:
        assert actual.tobytes() == expected.tobytes()


def assert_same_model(expected, actual):
    for attribute in ("coefs_", "intercepts_"):
        for a, b in zip(
            getattr(expected, attribute), getattr(actual, attribute), strict=True
        ):
            assert_bitwise_equal(a, b)


# -- threads ----------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kind", KINDS)
def test_predict_from_eight_threads_matches_single_threaded_results(kind, dtype):
    est = make(kind, solver="lbfgs").fit(X.astype(dtype), target(kind))
    # Different inputs per call, of different sizes, so threads that shared any
    # buffer would mix their results up.
    rng = np.random.RandomState(1)
    inputs = [
        rng.randn(rng.randint(1, 60), X.shape[1]).astype(dtype) for _ in range(160)
    ]
    expected = [outputs(est, X_call) for X_call in inputs]

    def work(start):
        return [(i, outputs(est, inputs[i])) for i in range(start, len(inputs), 8)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = [item for chunk in pool.map(work, range(8)) for item in chunk]
    assert sorted(i for i, _ in results) == list(range(len(inputs)))
    for i, got in results:
        for want, out in zip(expected[i], got, strict=True):
            assert_bitwise_equal(want, out)


# -- pickle, joblib and skops ----------------------------------------------------
def _pickle_round_trip(est):
    return pickle.loads(pickle.dumps(est))


def _joblib_round_trip(est):
    buffer = io.BytesIO()
    joblib.dump(est, buffer)
    buffer.seek(0)
    return joblib.load(buffer)


def _skops_round_trip(est):
    data = sio.dumps(est)
    return sio.loads(data, trusted=[type(est).__module__ + "." + type(est).__name__])


ROUND_TRIPS = {
    "pickle": _pickle_round_trip,
    "joblib": _joblib_round_trip,
    "skops": _skops_round_trip,
}


@pytest.mark.parametrize("round_trip", ROUND_TRIPS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kind", KINDS)
def test_round_trip_gives_bit_identical_predictions(kind, dtype, round_trip):
    est = make(kind, solver="adam").fit(X.astype(dtype), target(kind))
    restored = ROUND_TRIPS[round_trip](est)
    assert restored is not est
    assert_same_model(est, restored)
    for want, got in zip(outputs(est, X), outputs(restored, X), strict=True):
        assert_bitwise_equal(want, got)
    assert restored.coefs_[0].dtype == dtype
    assert restored.loss_curve_ == est.loss_curve_
    assert (restored.n_iter_, restored.t_) == (est.n_iter_, est.t_)


@pytest.mark.parametrize("round_trip", ROUND_TRIPS)
@pytest.mark.parametrize("kind", KINDS)
def test_unpickled_coefs_are_still_views_of_the_live_parameters(kind, round_trip):
    est = make(kind, solver="adam").fit(X, target(kind))
    restored = ROUND_TRIPS[round_trip](est)
    arrays = restored.coefs_ + restored.intercepts_
    owner = arrays[0].base
    assert owner is not None
    assert all(a.base is owner for a in arrays)  # one buffer behind all of them
    assert not np.shares_memory(owner, est.coefs_[0])  # and not the original's
    before = outputs(restored, X)[-1].copy()
    w, b = restored.coefs_[0][0, 0], restored.intercepts_[-1][0]
    restored.coefs_[0][0, 0] = w + 1.0
    assert not np.array_equal(outputs(restored, X)[-1], before)
    restored.coefs_[0][0, 0] = w
    assert_bitwise_equal(before, outputs(restored, X)[-1])
    restored.intercepts_[-1][0] = b + 1.0
    assert not np.array_equal(outputs(restored, X)[-1], before)
    restored.intercepts_[-1][0] = b
    assert_bitwise_equal(before, outputs(restored, X)[-1])
    assert_bitwise_equal(before, outputs(est, X)[-1])  # the original never moved


# -- resuming a model pickled mid-training ------------------------------------------
RESUME_CASES = [
    pytest.param(kind, solver, round_trip, id=f"{kind}-{solver}-{round_trip}")
    for kind in KINDS
    for solver in ("sgd", "adam")
    for round_trip in ROUND_TRIPS
]


@pytest.mark.parametrize("kind, solver, round_trip", RESUME_CASES)
def test_model_pickled_mid_training_resumes_exactly(kind, solver, round_trip):
    # Shuffled minibatches: the optimizer state and the random stream must both
    # carry over for the resumed model to take the same steps.
    params = {"solver": solver, "batch_size": 16, "shuffle": True}
    classes = {"classes": np.unique(Y_CLF)} if kind.endswith("classifier") else {}
    never_stopped = make(kind, **params)
    interrupted = make(kind, **params)
    for est in (never_stopped, interrupted):
        est.partial_fit(X, target(kind), **classes)
        for _ in range(2):
            est.partial_fit(X, target(kind))
    resumed = ROUND_TRIPS[round_trip](interrupted)
    del interrupted
    for _ in range(3):
        never_stopped.partial_fit(X, target(kind))
        resumed.partial_fit(X, target(kind))
    assert_same_model(never_stopped, resumed)
    assert resumed.loss_curve_ == never_stopped.loss_curve_
    assert (resumed.n_iter_, resumed.t_) == (never_stopped.n_iter_, never_stopped.t_)


@pytest.mark.parametrize("kind", KINDS)
def test_resumed_model_differs_from_one_restarted_with_a_fresh_random_stream(kind):
    # Guards the test above: with shuffling, the random stream really matters.
    classes = {"classes": np.unique(Y_CLF)} if kind.endswith("classifier") else {}
    a = make(kind, solver="sgd", batch_size=16)
    a.partial_fit(X, target(kind), **classes)
    b = _pickle_round_trip(a)
    b._rng = np.random.RandomState(12345)
    a.partial_fit(X, target(kind))
    b.partial_fit(X, target(kind))
    assert not np.array_equal(a.coefs_[0], b.coefs_[0])


# -- reproducibility ----------------------------------------------------------------
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("kind", KINDS)
def test_same_random_state_gives_identical_coefs(kind, solver):
    params = {"solver": solver, "batch_size": 16, "early_stopping": solver != "lbfgs"}
    first = make(kind, **params).fit(X, target(kind))
    second = make(kind, **params).fit(X, target(kind))
    assert_same_model(first, second)
    assert first.loss_curve_ == second.loss_curve_
    other = make(kind, **params, random_state=1).fit(X, target(kind))
    assert not np.array_equal(first.coefs_[0], other.coefs_[0])


@pytest.mark.parametrize("kind", KINDS)
def test_refitting_one_estimator_reproduces_its_first_fit(kind):
    est = make(kind, solver="sgd", batch_size=16)
    first = _pickle_round_trip(est.fit(X, target(kind)))
    est.fit(X, target(kind))
    assert_same_model(first, est)
