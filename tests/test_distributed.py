"""Scale-out: hyper-parameter search on a Dask cluster, and out-of-core training
with ``partial_fit`` streaming a memory-mapped file chunk by chunk."""

import joblib
import numpy as np
import pytest
from dask.distributed import Client, LocalCluster, get_task_stream
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV

from skbackprop import (
    BackpropMLPRegressor,
    SoftmaxMLPClassifier,
    TwoLayerSigmoidRegressor,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


# -- joblib's Dask backend -------------------------------------------------------------
@pytest.fixture(scope="module")
def dask_client():
    # Worker threads in this process: quick to start on a small machine.
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=False,
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def grid_search():
    return GridSearchCV(
        SoftmaxMLPClassifier(
            hidden_layer_sizes=8, solver="lbfgs", max_iter=50, random_state=0
        ),
        {"alpha": [1e-4, 1.0], "hidden_layer_sizes": [4, 8]},
        cv=3,
    )


def test_grid_search_on_a_dask_cluster_equals_the_serial_search(dask_client):
    X, y = make_classification(n_samples=200, n_features=6, random_state=0)
    serial = grid_search().set_params(n_jobs=1).fit(X, y)
    with get_task_stream(dask_client) as tasks, joblib.parallel_backend("dask"):
        distributed = grid_search().fit(X, y)
    assert len(tasks.data) > 0  # the fits ran on the cluster's workers
    assert distributed.best_params_ == serial.best_params_
    for key in ("mean_test_score", "std_test_score", "rank_test_score"):
        assert_array_equal(distributed.cv_results_[key], serial.cv_results_[key])
    assert_array_equal(distributed.predict_proba(X), serial.predict_proba(X))


# -- out-of-core partial_fit ---------------------------------------------------------
N_SAMPLES, N_FEATURES, CHUNK, EPOCHS = 600, 5, 100, 15


def write_memmap(tmp_path, kind):
    """Write the data set to raw memmap files; return read-only memmaps of them."""
    rng = np.random.RandomState(0)
    X = rng.randn(N_SAMPLES, N_FEATURES)
    if kind.endswith("regression"):
        y = np.tanh(X[:, 0]) + 0.5 * X[:, 1] * X[:, 2] + 0.05 * rng.randn(N_SAMPLES)
    else:
        y = (X[:, 0] + X[:, 1] ** 2 > 1).astype(np.int64)
    for name, array in (("X", X), ("y", y)):
        on_disk = np.memmap(
            tmp_path / f"{name}.dat", dtype=array.dtype, mode="w+", shape=array.shape
        )
        on_disk[...] = array
        on_disk.flush()
        del on_disk
    X_map = np.memmap(tmp_path / "X.dat", dtype=X.dtype, mode="r", shape=X.shape)
    y_map = np.memmap(tmp_path / "y.dat", dtype=y.dtype, mode="r", shape=y.shape)
    return X_map, y_map


def stream(estimator, X_map, y_map, epochs, **first_call):
    """``epochs`` passes over the file, one partial_fit per chunk in file order."""
    for _ in range(epochs):
        for start in range(0, len(y_map), CHUNK):
            chunk = slice(start, start + CHUNK)
            estimator.partial_fit(X_map[chunk], y_map[chunk], **first_call)
            first_call = {}
    return estimator


def make(kind, **params):
    params = {
        "learning_rate": 0.01,
        "max_iter": EPOCHS,
        "tol": 0.0,
        "n_iter_no_change": EPOCHS + 1,
        "random_state": 0,
        **params,
    }
    if kind == "regression":
        return TwoLayerSigmoidRegressor(hidden_size=16, **params)
    if kind == "mlp_regression":
        return BackpropMLPRegressor(hidden_layer_sizes=(16, 8), **params)
    return SoftmaxMLPClassifier(hidden_layer_sizes=16, **params)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("kind", ["regression", "classification", "mlp_regression"])
def test_streaming_chunks_in_order_equals_an_in_memory_fit(tmp_path, kind, solver):
    # One chunk is one minibatch and the file order is the batch order: the
    # streamed updates are exactly those of fit on the whole array in memory,
    # bit for bit.
    X_map, y_map = write_memmap(tmp_path, kind)
    params = {"solver": solver, "batch_size": CHUNK, "shuffle": False}
    first_call = {"classes": [0, 1]} if kind == "classification" else {}
    streamed = stream(make(kind, **params), X_map, y_map, EPOCHS, **first_call)
    in_memory = make(kind, **params).fit(np.asarray(X_map), np.asarray(y_map))
    for attribute in ("coefs_", "intercepts_"):
        for streamed_part, fitted_part in zip(
            getattr(streamed, attribute), getattr(in_memory, attribute), strict=True
        ):
            assert_array_equal(streamed_part, fitted_part)
    assert streamed.t_ == in_memory.t_ == EPOCHS * N_SAMPLES
    assert len(streamed.loss_curve_) == EPOCHS * (N_SAMPLES // CHUNK)


@pytest.mark.parametrize("kind", ["regression", "classification", "mlp_regression"])
def test_streaming_shuffled_chunks_reaches_in_memory_quality(tmp_path, kind):
    # Shuffled minibatches inside each chunk: a different path, the same quality.
    X_map, y_map = write_memmap(tmp_path, kind)
    first_call = {"classes": [0, 1]} if kind == "classification" else {}
    streamed = stream(
        make(kind, solver="adam", batch_size=50), X_map, y_map, EPOCHS, **first_call
    )
    X, y = np.asarray(X_map), np.asarray(y_map)
    in_memory = make(kind, solver="adam", batch_size=50).fit(X, y)
    assert streamed.score(X, y) == pytest.approx(in_memory.score(X, y), abs=0.03)
    assert streamed.score(X, y) >= (0.5 if kind.endswith("regression") else 0.9)


def test_streaming_gd_takes_one_step_per_chunk(tmp_path):
    # solver="gd" makes each partial_fit one full-batch step on its chunk, so a
    # streamed epoch is n_chunks plain gradient steps: equal to SGD without
    # momentum over the same batches, not to one full-batch step per epoch.
    X_map, y_map = write_memmap(tmp_path, "regression")
    X, y = np.asarray(X_map), np.asarray(y_map)
    streamed = stream(
        make("regression", solver="gd", learning_rate=0.3), X_map, y_map, 5
    )
    plain_sgd = make(
        "regression",
        solver="sgd",
        learning_rate=0.3,
        momentum=0.0,
        batch_size=CHUNK,
        shuffle=False,
        max_iter=5,
    ).fit(X, y)
    # equal up to rounding: θ − ηg in one fused step against v = −ηg, θ + v
    assert_allclose(streamed.coefs_[0], plain_sgd.coefs_[0], rtol=1e-12, atol=0)
    full_batch = make("regression", solver="gd", learning_rate=0.3, max_iter=5)
    full_batch.fit(X, y)
    assert not np.allclose(streamed.coefs_[0], full_batch.coefs_[0])


def test_partial_fit_on_the_whole_memmap_equals_fit_for_gd(tmp_path):
    X_map, y_map = write_memmap(tmp_path, "regression")
    incremental = make("regression", solver="gd", learning_rate=0.3)
    for _ in range(EPOCHS):
        incremental.partial_fit(X_map, y_map)
    batch = make("regression", solver="gd", learning_rate=0.3).fit(X_map, y_map)
    assert_array_equal(incremental.coefs_[0], batch.coefs_[0])
    assert_array_equal(incremental.loss_curve_, batch.loss_curve_)
