"""GradientMonitor: values on constructed cases, and attaching it changes nothing."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_classification

from skbackprop import (
    BackpropMLPClassifier,
    BackpropMLPRegressor,
    SoftmaxMLPClassifier,
    TwoLayerSigmoidRegressor,
)
from skbackprop.callbacks import GradientMonitor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
KEYS = {
    "epoch",
    "layer",
    "activation",
    "grad_norm",
    "weight_norm",
    "update_ratio",
    "saturated",
    "dead",
}


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(n_samples=80, n_features=6, random_state=0)
    return X, y


def make(cls, **params):
    shape = {"hidden_size": 5} if cls is TwoLayerSigmoidRegressor else {}
    if cls is not TwoLayerSigmoidRegressor:
        shape = {"hidden_layer_sizes": (5, 4)}
    defaults = {"max_iter": 4, "n_iter_no_change": 9, "random_state": 0}
    return cls(**{**shape, **defaults, "batch_size": 30, **params})


@pytest.mark.parametrize("solver", ["gd", "sgd", "adam", "lbfgs"])
@pytest.mark.parametrize(
    "cls",
    [
        SoftmaxMLPClassifier,
        TwoLayerSigmoidRegressor,
        BackpropMLPRegressor,
        BackpropMLPClassifier,
    ],
)
def test_attaching_the_monitor_changes_no_weight_and_no_random_draw(data, cls, solver):
    X, y = data
    w = np.linspace(0.5, 1.5, len(X))
    models, streams = [], []
    for monitored in (False, True):
        rng = np.random.RandomState(3)
        est = make(cls, solver=solver, random_state=rng, early_stopping=False)
        if monitored:
            monitor = GradientMonitor(max_samples=50)
            est.set_callbacks(monitor)
        est.fit(X, y, sample_weight=w)
        if solver != "lbfgs":
            est.partial_fit(X, y)
        models.append(est)
        streams.append(rng.uniform())
    plain, watched = models
    assert_array_equal(watched._params.flat, plain._params.flat)
    assert watched.loss_curve_ == plain.loss_curve_
    assert streams[0] == streams[1]
    epochs = plain.n_iter_ + (0 if solver == "lbfgs" else 4)
    assert len(monitor.history) == epochs * len(plain.coefs_)


def test_history_rows_are_the_trace_and_the_weights_of_each_epoch(data):
    X, y = data
    monitor = GradientMonitor(max_samples=40)
    clf = make(SoftmaxMLPClassifier, solver="gd", learning_rate=0.1)
    clf.set_callbacks(monitor).fit(X, y)
    rows = monitor.history
    assert all(set(row) == KEYS for row in rows)
    order = [(row["epoch"], row["layer"]) for row in rows[:4]]
    assert order == [(1, 1), (1, 2), (1, 3), (2, 1)]
    trace = clf.backprop_trace(X[:40], y[:40])
    last = rows[-3:]
    for row, record, W in zip(last, trace.layers, clf.coefs_, strict=True):
        assert row["grad_norm"] == pytest.approx(np.linalg.norm(record.coef_grad))
        assert row["weight_norm"] == pytest.approx(np.linalg.norm(W))
    assert [row["activation"] for row in last] == ["relu", "relu", "softmax"]
    assert np.isnan(last[-1]["saturated"]) and np.isnan(last[-1]["dead"])
    assert np.isnan(last[0]["saturated"])  # relu does not saturate


def test_update_ratio_is_the_relative_change_of_the_weights_over_the_epoch(data):
    X, y = data
    monitor = GradientMonitor()
    clf = make(BackpropMLPRegressor, solver="sgd", learning_rate=0.01)
    clf.set_callbacks(monitor).partial_fit(X, y)
    before = [W.copy() for W in clf.coefs_]
    clf.partial_fit(X, y)
    rows = [row for row in monitor.history if row["epoch"] == 2]
    assert len(rows) == 3
    for row, W0, W1 in zip(rows, before, clf.coefs_, strict=True):
        expected = np.linalg.norm(W1 - W0) / np.linalg.norm(W0)
        assert row["update_ratio"] == pytest.approx(expected, rel=1e-12)
        assert row["update_ratio"] > 0


def test_a_relu_layer_forced_dead_reads_one(data):
    X, y = data
    clf = make(SoftmaxMLPClassifier, activation="relu", learning_rate=1e-9)
    clf.partial_fit(X, y, classes=[0, 1])
    readings = []
    for dead_units in (slice(0, 2), slice(None)):  # two of five units, then all
        monitor = GradientMonitor()
        clf.intercepts_[0][...] = 0.0  # the others are zero on some samples only
        clf.intercepts_[0][dead_units] = -1e3  # no input reaches above zero
        clf.set_callbacks(monitor).partial_fit(X, y)
        readings.append(monitor.history[0]["dead"])
    assert readings == [0.4, 1.0]


def test_sigmoid_inputs_scaled_a_thousandfold_read_saturated(data):
    X, y = data
    readings = []
    for scale in (1.0, 1e3):
        monitor = GradientMonitor()
        clf = make(SoftmaxMLPClassifier, activation="sigmoid", max_iter=1)
        clf.set_callbacks(monitor).fit(X * scale, y)
        readings.append(monitor.history[0]["saturated"])
        assert monitor.history[0]["dead"] == 0.0
    assert readings[0] < 0.05
    assert readings[1] > 0.95


def test_tanh_regressor_saturation_uses_the_tanh_derivative(data):
    X, y = data
    monitor = GradientMonitor(max_samples=None)
    reg = make(BackpropMLPRegressor, activation="tanh", max_iter=1)
    reg.set_callbacks(monitor).fit(X, y)
    record = reg.backprop_trace(X, y).layers[0]
    expected = np.mean(np.abs(1 - np.tanh(record.a) ** 2) < 0.01)
    assert_allclose(monitor.history[0]["saturated"], expected)


def test_leading_rows_of_zero_weight_do_not_fail_the_fit(data):
    X, y = data
    w = np.ones(len(y))
    w[:10] = 0.0
    monitor = GradientMonitor(max_samples=10)
    clf = make(SoftmaxMLPClassifier).set_callbacks(monitor)
    clf.fit(X, y, sample_weight=w)
    plain = make(SoftmaxMLPClassifier).fit(X, y, sample_weight=w)
    assert_array_equal(clf._params.flat, plain._params.flat)
    assert np.isfinite([r["grad_norm"] for r in monitor.history]).all()


def test_the_sample_skips_rows_weighted_zero_by_class_weight(data):
    X, y = data
    y = np.where(np.arange(len(y)) < 20, 0, y)  # the leading rows are class 0
    monitor = GradientMonitor(max_samples=20)
    clf = make(SoftmaxMLPClassifier, class_weight={0: 0.0, 1: 1.0})
    clf.set_callbacks(monitor).fit(X, y)
    assert np.isfinite([r["grad_norm"] for r in monitor.history]).all()


def test_leading_poisson_counts_of_zero_do_not_fail_the_fit(data):
    X, _ = data
    y = np.r_[np.zeros(10), np.arange(len(X) - 10) % 4]
    monitor = GradientMonitor(max_samples=10)
    reg = make(BackpropMLPRegressor, loss="poisson").set_callbacks(monitor)
    reg.fit(X, y)
    assert len(monitor.history) == 4 * 3


def test_dataframe_input_does_not_warn_about_feature_names(data, recwarn):
    pd = pytest.importorskip("pandas")
    X, y = data
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    monitor = GradientMonitor()
    make(SoftmaxMLPClassifier).set_callbacks(monitor).fit(frame, y)
    assert not [w for w in recwarn if "feature names" in str(w.message)]
    assert len(monitor.history) == 4 * 3


@pytest.mark.parametrize("max_samples", [0, -1, 2.5, "all"])
def test_max_samples_is_validated_when_the_monitor_is_made(max_samples):
    with pytest.raises(ValueError, match="max_samples"):
        GradientMonitor(max_samples=max_samples)


def test_max_samples_changed_later_is_validated_before_training(data):
    X, y = data
    monitor = GradientMonitor()
    monitor.max_samples = 0
    clf = make(SoftmaxMLPClassifier).set_callbacks(monitor)
    with pytest.raises(ValueError, match="max_samples"):
        clf.fit(X, y)
    assert not hasattr(clf, "coefs_") and monitor.history == []
