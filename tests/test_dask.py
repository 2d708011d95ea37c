"""Data-parallel L-BFGS and gd on Dask collections: the same model as in memory,
on the local scheduler and on a distributed cluster, with the same errors."""

import os
import subprocess
import sys
import tracemalloc

import array_api_strict
import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import sklearn
import torch
from dask.distributed import Client, LocalCluster
from dask.utils import key_split
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.utils._array_api import move_estimator_to

from skbackprop import (
    Activation,
    BackpropMLPClassifier,
    BackpropMLPRegressor,
    SoftmaxMLPClassifier,
    TwoLayerSigmoidRegressor,
)
from skbackprop._xp import array_device, array_namespace

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

N, N_FEATURES, CHUNK = 300, 5, 70  # five chunks, the last one short
TOL = 1e-9


def make_data(kind, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(N, N_FEATURES)
    if kind == "classification":
        y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.8)
    elif kind == "binary":
        y = np.where(X[:, 0] + 0.5 * X[:, 2] > 0, "yes", "no")
    elif kind == "multilabel":
        y = np.column_stack([X[:, 0] > 0, X[:, 1] > 0.5, X[:, 0] * X[:, 2] > 0])
        y = y.astype(int)
    elif kind == "sigmoid":
        y = 1 / (1 + np.exp(-X[:, 0] + X[:, 1]))
    else:
        y = np.column_stack([X[:, 0] - X[:, 1] ** 2, np.tanh(X[:, 2])])
    return X, y, rng.uniform(0.1, 2.0, N)


def chunked(*arrays, chunks=CHUNK):
    return [None if a is None else da.from_array(a, chunks=chunks) for a in arrays]


ESTIMATORS = {
    **{
        f"BackpropMLPClassifier-{kind}": (
            lambda **kw: BackpropMLPClassifier(hidden_layer_sizes=(6,), **kw),
            kind,
        )
        for kind in ("binary", "multilabel", "classification")
    },
    "BackpropMLPRegressor": (
        lambda **kw: BackpropMLPRegressor(hidden_layer_sizes=(6, 4), **kw),
        "regression",
    ),
    "TwoLayerSigmoidRegressor": (
        lambda **kw: TwoLayerSigmoidRegressor(
            hidden_size=5, output_activation="sigmoid", **kw
        ),
        "sigmoid",
    ),
    "SoftmaxMLPClassifier": (
        lambda **kw: SoftmaxMLPClassifier(hidden_layer_sizes=(6,), **kw),
        "classification",
    ),
}


def params(solver, **extra):
    settings = {"solver": solver, "max_iter": 25, "alpha": 0.05, "random_state": 0}
    if solver == "gd":
        settings["learning_rate"] = 0.05
    return {**settings, **extra}


def assert_same_model(dask_model, memory_model):
    for a, b in zip(
        dask_model.coefs_ + dask_model.intercepts_,
        memory_model.coefs_ + memory_model.intercepts_,
        strict=True,
    ):
        assert_allclose(a, b, rtol=TOL, atol=TOL)
    assert_allclose(dask_model.loss_curve_, memory_model.loss_curve_, rtol=TOL)
    assert dask_model.n_iter_ == memory_model.n_iter_
    assert dask_model.t_ == memory_model.t_
    assert dask_model.n_features_in_ == memory_model.n_features_in_


def test_importing_skbackprop_does_not_import_dask():
    code = "import sys, skbackprop; print('dask' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("solver", ["lbfgs", "gd"])
@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_dask_fit_equals_the_in_memory_fit(name, solver, weighted):
    make, kind = ESTIMATORS[name]
    X, y, w = make_data(kind)
    w = w if weighted else None
    memory = make(**params(solver)).fit(X, y, sample_weight=w)
    with dask.config.set(scheduler="threads"):
        model = make(**params(solver)).fit(*chunked(X, y), sample_weight=chunked(w)[0])
    assert_same_model(model, memory)
    if kind in ("binary", "multilabel", "classification"):
        assert_array_equal(model.classes_, memory.classes_)
        assert_array_equal(model.predict(X), memory.predict(X))
    else:
        assert_allclose(model.predict(X), memory.predict(X), rtol=0, atol=TOL)


def test_dask_fit_with_string_labels_and_balanced_class_weight():
    X, y, _ = make_data("classification")
    labels = np.array(["ant", "bee", "cat"])[y]
    settings = params("lbfgs", class_weight="balanced")
    memory = SoftmaxMLPClassifier(hidden_layer_sizes=6, **settings).fit(X, labels)
    Xd, yd = chunked(X, labels)
    model = SoftmaxMLPClassifier(hidden_layer_sizes=6, **settings).fit(Xd, yd)
    assert_same_model(model, memory)
    assert_array_equal(model.classes_, ["ant", "bee", "cat"])


def test_dask_dataframe_keeps_feature_names():
    X, y, w = make_data("regression")
    columns = [f"x{i}" for i in range(N_FEATURES)]
    frame = pd.DataFrame(X, columns=columns)
    Xd = dd.from_pandas(frame, npartitions=4)
    yd = dd.from_pandas(pd.DataFrame(y, columns=["a", "b"]), npartitions=4)
    memory = BackpropMLPRegressor(hidden_layer_sizes=4, **params("lbfgs"))
    memory.fit(frame, y)
    model = BackpropMLPRegressor(hidden_layer_sizes=4, **params("lbfgs")).fit(Xd, yd)
    assert_same_model(model, memory)
    assert_array_equal(model.feature_names_in_, columns)


def test_y_is_rechunked_like_x_and_a_zero_weight_chunk_counts_for_nothing():
    X, y, w = make_data("regression")
    w[:CHUNK] = 0.0  # the whole first chunk
    memory = BackpropMLPRegressor(hidden_layer_sizes=4, **params("lbfgs"))
    memory.fit(X, y, sample_weight=w)
    Xd, wd = chunked(X, w)
    yd = da.from_array(y, chunks=(100, 2))  # chunked otherwise than X
    model = BackpropMLPRegressor(hidden_layer_sizes=4, **params("lbfgs"))
    model.fit(Xd, yd, sample_weight=wd)
    assert_same_model(model, memory)


def test_an_empty_chunk_counts_for_nothing():
    # a partition of zero rows (a filtered DataFrame's, an uneven split) holds
    # no labels: string labels elsewhere are summed as if it were absent
    make, kind = ESTIMATORS["BackpropMLPClassifier-binary"]
    X, y, w = make_data(kind)
    rows = (100, 0, 70, 130)
    memory = make(**params("lbfgs")).fit(X, y, sample_weight=w)
    Xd = da.from_array(X, chunks=(rows, N_FEATURES))
    yd, wd = chunked(y, w, chunks=(rows,))
    model = make(**params("lbfgs")).fit(Xd, yd, sample_weight=wd)
    assert_same_model(model, memory)
    assert_array_equal(model.classes_, ["no", "yes"])


@pytest.mark.parametrize("columns", [N_FEATURES, 2])
def test_sparse_chunks_equal_the_in_memory_fit(columns):
    # scipy sparse chunks, their columns in one block or split (joined on the
    # workers)
    X, y, w = make_data("regression")
    X[np.abs(X) < 0.7] = 0.0
    memory = BackpropMLPRegressor(hidden_layer_sizes=4, **params("lbfgs"))
    memory.fit(sp.csr_matrix(X), y, sample_weight=w)
    Xd = da.from_array(X, chunks=(CHUNK, columns)).map_blocks(
        sp.csr_matrix, meta=sp.csr_matrix((0, 0))
    )
    model = BackpropMLPRegressor(hidden_layer_sizes=4, **params("lbfgs"))
    with dask.config.set(scheduler="threads"):
        model.fit(Xd, *chunked(y), sample_weight=chunked(w)[0])
    assert_same_model(model, memory)


def test_each_evaluation_sends_the_parameters_once():
    from skbackprop._dask import validate_dask_training_data

    X, y, _ = make_data("regression")
    model = BackpropMLPRegressor(hidden_layer_sizes=4, **params("lbfgs"))
    data = validate_dask_training_data(
        model,
        *chunked(X, y),
        None,
        reset=True,
        classes=None,
        incremental=False,
        splits=False,
    )[0]
    theta = np.arange(data._template._params.flat.size, dtype=float)
    graph = dict(data.evaluation(data._template, theta).__dask_graph__())
    sent = [v for v in graph.values() if isinstance(v, np.ndarray)]
    sent += [
        getattr(v, "value", None)
        for v in graph.values()
        if isinstance(getattr(v, "value", None), np.ndarray)
    ]
    assert sum(np.array_equal(v, theta) for v in sent) == 1
    assert len(data._blocks) == 5
    # the tasks are named for what they compute (the dashboard's task stream)
    names = {key_split(key) for key in graph}
    assert {"chunk_sums", "add"} <= names
    assert not any("config" in name.lower() for name in names)


def test_gd_partial_fit_and_early_stopping_on_validation_data():
    X, y, _ = make_data("classification")
    X_val, y_val, _ = make_data("classification", seed=1)
    settings = params("gd", early_stopping=True, n_iter_no_change=3, max_iter=40)
    make = ESTIMATORS["SoftmaxMLPClassifier"][0]
    memory = make(**settings).fit(X, y, X_val=X_val, y_val=y_val)
    model = make(**settings).fit(*chunked(X, y), X_val=X_val, y_val=y_val)
    assert_same_model(model, memory)
    assert_allclose(model.validation_scores_, memory.validation_scores_, rtol=TOL)
    again = make(**settings).fit(
        *chunked(X, y),
        **dict(zip(("X_val", "y_val"), chunked(X_val, y_val), strict=True)),
    )
    assert_same_model(again, memory)
    # partial_fit: one gd step per call
    memory = make(**params("gd"))
    model = make(**params("gd"))
    for _ in range(3):
        memory.partial_fit(X, y, classes=[0, 1, 2])
        model.partial_fit(*chunked(X, y), classes=[0, 1, 2])
    assert_same_model(model, memory)


# -- bad input: the in-memory errors, the estimator untouched -----------------------
def fitted_model():
    X, y, _ = make_data("classification")
    return SoftmaxMLPClassifier(
        hidden_layer_sizes=4, warm_start=True, **params("lbfgs")
    ).fit(X, y)


def assert_untouched(model, before):
    assert_array_equal(model._params.flat, before["_params"].flat)
    assert model.loss_curve_ == before["loss_curve_"]


@pytest.mark.parametrize(
    "case, error, match",
    [
        ("nan", ValueError, r"Dask chunk 2 of the training data: Input X contains NaN"),
        ("features", ValueError, "X has 4 features, but SoftmaxMLPClassifier"),
        # the fitted model is warm-started: scikit-learn's warm-start class check
        ("unseen", ValueError, "same classes as in the previous call to fit"),
        ("lengths", ValueError, "chunk y like X"),
        ("empty", ValueError, "with 0 samples"),
        ("numpy_y", TypeError, "pass y as a Dask array"),
        ("negative", ValueError, "chunk 4 .*: Negative values in data passed to"),
        ("sgd", ValueError, "dask_ml.wrappers.Incremental"),
        ("split", ValueError, "pass X_val and y_val"),
    ],
)
def test_bad_dask_input_raises_the_in_memory_error_and_changes_nothing(
    case, error, match
):
    X, y, w = make_data("classification")
    fit_params = {}
    if case == "nan":
        X[2 * CHUNK + 3, 1] = np.nan
    elif case == "features":
        X = X[:, :4]
    elif case == "unseen":
        y[7] = 5
    elif case == "empty":
        X, y = X[:0], y[:0]
    elif case == "negative":
        w[N - 1] = -1.0
        fit_params["sample_weight"] = chunked(w)[0]
    Xd, yd = chunked(X, y)
    if case == "lengths":
        yd = dd.from_pandas(pd.Series(y), npartitions=2)
    elif case == "numpy_y":
        yd = y
    model = fitted_model()
    if case == "sgd":
        model.set_params(solver="sgd")
    elif case == "split":
        model.set_params(solver="gd", early_stopping=True)
    before = {"_params": model._params.copy(), "loss_curve_": list(model.loss_curve_)}
    with pytest.raises(error, match=match):
        model.fit(Xd, yd, **fit_params)
    assert_untouched(model, before)
    if case in ("features", "unseen"):
        return  # errors against the fitted model only
    fresh = SoftmaxMLPClassifier(**params(model.solver))
    with pytest.raises(error, match=match):
        fresh.set_params(early_stopping=model.early_stopping).fit(Xd, yd, **fit_params)
    assert not hasattr(fresh, "classes_") and not hasattr(fresh, "n_features_in_")


def test_sgd_and_adam_partial_fit_on_dask_point_to_incremental():
    X, y, _ = make_data("regression")
    for solver in ("sgd", "adam"):
        model = BackpropMLPRegressor(solver=solver)
        with pytest.raises(ValueError, match="partial_fit with solver"):
            model.partial_fit(*chunked(X, y))


# -- a dask.distributed cluster --------------------------------------------------------
@pytest.fixture(scope="module")
def threads_cluster_client():
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


@pytest.mark.parametrize("solver", ["lbfgs", "gd"])
@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_fit_on_a_two_worker_cluster_equals_the_in_memory_fit(
    threads_cluster_client, name, solver
):
    make, kind = ESTIMATORS[name]
    X, y, w = make_data(kind)
    memory = make(**params(solver)).fit(X, y, sample_weight=w)
    Xd, yd, wd = (a.persist() for a in chunked(X, y, w))
    model = make(**params(solver)).fit(Xd, yd, sample_weight=wd)
    assert_same_model(model, memory)
    workers = threads_cluster_client.has_what()
    assert sum(1 for keys in workers.values() if keys) == 2  # chunks on both workers


def test_worker_processes_train_without_the_data_on_the_client():
    """Real worker processes: X is generated on the workers and never gathered."""
    n, chunk = 200_000, 20_000  # X 32 MB, ten chunks
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster),
    ):
        X = da.random.RandomState(0).normal(size=(n, 20), chunks=(chunk, 20))
        y = (X[:, 0] - X[:, 1] ** 2).persist()
        X = X.persist()
        settings = params("lbfgs", max_iter=5)
        model = BackpropMLPRegressor(hidden_layer_sizes=4, **settings)
        tracemalloc.start()
        model.fit(X, y)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        X_memory, y_memory = dask.compute(X, y)
    # The client's allocations (the scheduler's bookkeeping, which runs in this
    # process, θ and the gradients) stay a few MB whatever the size of X.
    assert peak < X_memory.nbytes / 4
    memory = BackpropMLPRegressor(hidden_layer_sizes=4, **settings)
    assert_same_model(model, memory.fit(X_memory, y_memory))


def test_float32_chunks_train_in_float32():
    X, y, _ = make_data("regression")
    X, y = X.astype(np.float32), y.astype(np.float32)
    settings = params("gd", max_iter=10)
    memory = BackpropMLPRegressor(hidden_layer_sizes=4, **settings).fit(X, y)
    model = BackpropMLPRegressor(hidden_layer_sizes=4, **settings)
    model.fit(*chunked(X, y))
    assert all(c.dtype == np.float32 for c in model.coefs_ + model.intercepts_)
    for a, b in zip(model.coefs_, memory.coefs_, strict=True):
        assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_poisson_targets_may_have_a_chunk_of_zeros_but_not_an_all_zero_y():
    X, _, _ = make_data("regression")
    y = np.random.RandomState(0).poisson(np.exp(X[:, 0] - 1)).astype(float)
    y[:CHUNK] = 0.0
    settings = params("lbfgs", loss="poisson")
    memory = BackpropMLPRegressor(hidden_layer_sizes=4, **settings).fit(X, y)
    model = BackpropMLPRegressor(hidden_layer_sizes=4, **settings)
    assert_same_model(model.fit(*chunked(X, y)), memory)
    with pytest.raises(ValueError, match="loss='poisson' requires y >= 0 with a"):
        model.fit(*chunked(X, np.zeros(N)))


@pytest.mark.parametrize("solver", ["gd", "lbfgs"])
def test_a_diverging_dask_fit_raises_the_divergence_error_and_changes_nothing(solver):
    X, y, _ = make_data("regression")
    X = X * 1e150  # the first products overflow
    model = BackpropMLPRegressor(hidden_layer_sizes=4, **params(solver))
    with pytest.raises(ValueError, match="Training diverged"):
        model.fit(*chunked(X, y))
    assert not hasattr(model, "coefs_") and not hasattr(model, "n_features_in_")


def test_gradient_monitor_on_a_dask_fit_is_refused_before_training():
    from skbackprop.callbacks import GradientMonitor

    X, y, _ = make_data("regression")
    model = BackpropMLPRegressor(hidden_layer_sizes=4, **params("lbfgs"))
    model.set_callbacks(GradientMonitor())
    with pytest.raises(ValueError, match="GradientMonitor traces a sample"):
        model.fit(*chunked(X, y))
    assert not hasattr(model, "coefs_") and not hasattr(model, "n_features_in_")


@pytest.mark.parametrize("solver", ["lbfgs", "gd"])
def test_array_api_dispatch_trains_numpy_chunks_in_numpy(solver):
    # numpy chunks under array_api_dispatch=True train as without it (a Dask
    # array is not itself a namespace to compute in), the model in numpy;
    # predicting then takes numpy input, and a Dask X gets scikit-learn's error
    # that the namespace differs from fit's
    make, kind = ESTIMATORS["BackpropMLPRegressor"]
    X, y, w = make_data(kind)
    memory = make(**params(solver)).fit(X, y, sample_weight=w)
    with sklearn.config_context(array_api_dispatch=True):
        with dask.config.set(scheduler="threads"):
            model = make(**params(solver)).fit(
                *chunked(X, y), sample_weight=chunked(w)[0]
            )
        assert isinstance(model._params.flat, np.ndarray)
        assert_same_model(model, memory)
        assert_allclose(model.predict(X), memory.predict(X), rtol=0, atol=TOL)
        with pytest.raises(ValueError, match="same namespace and the same device"):
            model.predict(chunked(X)[0])


def test_numpy_chunks_need_no_array_api_support_on_the_workers():
    # under array_api_dispatch=True on the client, numpy chunks take numpy's
    # path: their tasks carry the client's configuration without dispatch, so
    # workers without SCIPY_ARRAY_API=1 (which scikit-learn's dispatch needs)
    # train them; the rest of the configuration travels (here assume_finite,
    # which skips the NaN check there as in memory)
    X, y, _ = make_data("regression")
    settings = params("lbfgs", max_iter=10)
    memory = BackpropMLPRegressor(hidden_layer_sizes=4, **settings).fit(X, y)
    X_nan = X.copy()
    X_nan[2 * CHUNK, 0] = np.nan
    with sklearn.config_context(assume_finite=True):
        with pytest.raises(ValueError) as in_memory:
            BackpropMLPRegressor(hidden_layer_sizes=4, **settings).fit(X_nan, y)
    with (
        LocalCluster(
            n_workers=1,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            env={"SCIPY_ARRAY_API": "0"},
        ) as cluster,
        Client(cluster) as client,
    ):
        environments = client.run(lambda: os.environ.get("SCIPY_ARRAY_API"))
        assert list(environments.values()) == ["0"]
        with sklearn.config_context(array_api_dispatch=True):
            model = BackpropMLPRegressor(hidden_layer_sizes=4, **settings)
            assert_same_model(model.fit(*chunked(X, y)), memory)
        with sklearn.config_context(assume_finite=True):
            with pytest.raises(ValueError) as on_dask:
                model.fit(*chunked(X_nan, y))
    assert "Training diverged" in str(in_memory.value)
    assert str(on_dask.value) == str(in_memory.value)


# -- chunks of another array API namespace --------------------------------------------
NAMESPACES = {
    "strict-cpu": (array_api_strict, array_api_strict.Device("CPU_DEVICE")),
    "strict-device1": (array_api_strict, array_api_strict.Device("device1")),
    "torch-cpu": (torch, "cpu"),
}
if torch.cuda.is_available():  # the GPU check (benchmarks/gpu_check.sh)
    NAMESPACES["torch-cuda"] = (torch, "cuda")
    try:
        import cupy

        NAMESPACES["cupy"] = (cupy, None)
    except ImportError:
        pass
# on a cluster: a CPU stand-in that refuses numpy, torch, and the GPU's
CLUSTER_NAMESPACES = [name for name in NAMESPACES if name != "strict-cpu"]


def on_namespace(array, name):
    """A Dask array whose chunks are arrays of namespace ``name`` (Dask holds
    any array type through ``map_blocks`` with that type's empty ``meta``)."""
    xp, device = NAMESPACES[name]
    dtype = getattr(xp, str(array.dtype))
    kwargs = {} if device is None else {"device": device}

    def convert(block):
        return xp.asarray(block, dtype=dtype, **kwargs)

    meta = xp.empty((0,) * array.ndim, dtype=dtype, **kwargs)
    return array.map_blocks(convert, meta=meta)


@pytest.fixture
def engine_inputs(monkeypatch):
    """The (X, θ) of every call of the engine on the chunks, as seen there."""
    from skbackprop import _dask

    seen = []
    engine = _dask.loss_and_gradients

    def recording(params, X, *args):
        seen.append((X, params.flat))
        return engine(params, X, *args)

    monkeypatch.setattr(_dask, "loss_and_gradients", recording)
    return seen


def assert_computed_on(seen, name):
    xp, device = NAMESPACES[name]
    assert seen  # the engine ran on the chunks, ...
    for X, theta in seen:  # ... in their namespace, on their device
        for array in (X, theta):
            assert not isinstance(array, np.ndarray)
            assert array_namespace(array).__name__.endswith(xp.__name__)
            if device is not None:
                assert str(array_device(array)).startswith(str(device))


@pytest.mark.parametrize("solver", ["lbfgs", "gd"])
@pytest.mark.parametrize(
    "name", ["BackpropMLPRegressor", "BackpropMLPClassifier-binary"]
)
@pytest.mark.parametrize("namespace", NAMESPACES)
def test_array_api_chunks_compute_in_their_namespace_on_the_workers(
    engine_inputs, namespace, name, solver
):
    make, kind = ESTIMATORS[name]
    X, y, w = make_data(kind)
    memory = make(**params(solver)).fit(X, y, sample_weight=w)
    # X's columns in two chunks, joined on the workers in their namespace; the
    # weights on the device too, the labels as numpy chunks
    Xd = on_namespace(da.from_array(X, chunks=(CHUNK, 3)), namespace)
    wd = on_namespace(chunked(w)[0], namespace)
    with sklearn.config_context(array_api_dispatch=True):
        with dask.config.set(scheduler="threads"):
            model = make(**params(solver)).fit(Xd, chunked(y)[0], sample_weight=wd)
    assert_computed_on(engine_inputs, namespace)
    assert len(engine_inputs) % 5 == 0  # every evaluation visits the five chunks
    assert isinstance(model._params.flat, np.ndarray)  # the client's model: numpy
    assert_same_model(model, memory)


@pytest.mark.parametrize("namespace", CLUSTER_NAMESPACES)
def test_array_api_chunks_on_a_two_worker_cluster(threads_cluster_client, namespace):
    # scikit-learn's configuration is thread-local: the workers' threads see
    # array_api_dispatch only because each task carries the client's (on
    # device1, which refuses conversion to numpy, nothing else could train)
    make, kind = ESTIMATORS["BackpropMLPClassifier-classification"]
    X, y, _ = make_data(kind)
    memory = make(**params("lbfgs")).fit(X, y)
    Xd = on_namespace(chunked(X)[0], namespace).persist()
    yd = on_namespace(chunked(y)[0], namespace).persist()  # labels on the device
    with sklearn.config_context(array_api_dispatch=True):
        model = make(**params("lbfgs")).fit(Xd, yd)
    assert_same_model(model, memory)
    assert_array_equal(model.classes_, memory.classes_)


def test_array_api_chunks_on_worker_processes():
    # across processes nothing of the client's configuration travels but what
    # each task carries; the chunks are pickled in their namespace
    X, y, _ = make_data("regression")
    memory = BackpropMLPRegressor(hidden_layer_sizes=4, **params("lbfgs")).fit(X, y)
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster),
        sklearn.config_context(array_api_dispatch=True),
    ):
        for namespace in CLUSTER_NAMESPACES:
            Xd = on_namespace(chunked(X)[0], namespace).persist()
            model = BackpropMLPRegressor(hidden_layer_sizes=4, **params("lbfgs"))
            assert_same_model(model.fit(Xd, chunked(y)[0]), memory)


@pytest.mark.parametrize("validation_on", ["memory", "dask"])
def test_array_api_chunks_with_validation_data_warm_start_and_float32(
    engine_inputs, validation_on
):
    # validation data of the chunks' namespace, in memory or on Dask (gathered
    # a row block at a time: Dask cannot concatenate such chunks), is scored on
    # the client by its numpy model; a warm-started fit on such chunks
    # continues the numpy model
    make, kind = ESTIMATORS["SoftmaxMLPClassifier"]
    X, y, _ = make_data(kind)
    X_val, y_val, _ = make_data(kind, seed=1)
    xp, device = NAMESPACES["strict-device1"]
    settings = params("gd", early_stopping=True, n_iter_no_change=3, warm_start=True)
    memory = make(**settings).fit(X, y, X_val=X_val, y_val=y_val)
    memory.fit(X, y, X_val=X_val, y_val=y_val)
    model = make(**settings)
    Xd = on_namespace(chunked(X)[0], "strict-device1")
    if validation_on == "memory":
        validation = {
            "X_val": xp.asarray(X_val, device=device),
            "y_val": xp.asarray(y_val, device=device),
        }
    else:  # X_val's columns in two blocks, y_val chunked otherwise
        validation = {
            "X_val": on_namespace(
                da.from_array(X_val, chunks=(CHUNK, 3)), "strict-device1"
            ),
            "y_val": on_namespace(chunked(y_val, chunks=100)[0], "strict-device1"),
        }
    with sklearn.config_context(array_api_dispatch=True):
        with dask.config.set(scheduler="threads"):
            model.fit(Xd, chunked(y)[0], **validation)
            model.fit(Xd, chunked(y)[0], **validation)
    assert_same_model(model, memory)
    assert_allclose(model.validation_scores_, memory.validation_scores_, rtol=TOL)

    X32 = X.astype(np.float32)
    memory = make(**params("gd", max_iter=10)).fit(X32, y)
    engine_inputs.clear()
    with sklearn.config_context(array_api_dispatch=True):
        with dask.config.set(scheduler="threads"):
            model = make(**params("gd", max_iter=10)).fit(
                on_namespace(chunked(X32)[0], "strict-cpu"), chunked(y)[0]
            )
    assert model._params.flat.dtype == np.float32
    assert engine_inputs and all(  # computed in float32 on the chunks too
        X.dtype == theta.dtype == array_api_strict.float32 for X, theta in engine_inputs
    )
    for a, b in zip(model.coefs_, memory.coefs_, strict=True):
        assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("namespace", ["strict-device1", "torch-cpu"])
def test_numpy_chunks_with_labels_and_weights_on_a_device_train_on_the_host(
    engine_inputs, namespace
):
    # everything follows X, as in memory: numpy X chunks take numpy's path, and
    # their labels and weights of another namespace join them on the host
    make, kind = ESTIMATORS["BackpropMLPClassifier-classification"]
    X, y, w = make_data(kind)
    memory = make(**params("lbfgs")).fit(X, y, sample_weight=w)
    yd, wd = (on_namespace(a, namespace) for a in chunked(y, w))
    with sklearn.config_context(array_api_dispatch=True):
        with dask.config.set(scheduler="threads"):
            model = make(**params("lbfgs")).fit(chunked(X)[0], yd, sample_weight=wd)
    assert engine_inputs and all(
        isinstance(X, np.ndarray) and isinstance(theta, np.ndarray)
        for X, theta in engine_inputs
    )
    assert_same_model(model, memory)


@pytest.mark.parametrize("target", ["y", "sample_weight"])
def test_array_api_targets_chunked_otherwise_than_x_are_refused_untouched(target):
    # Dask rechunks numpy, sparse and CuPy chunks only: the others must come
    # chunked like X, said before anything is computed
    X, y, w = make_data("regression")
    model = BackpropMLPRegressor(hidden_layer_sizes=4, **params("lbfgs"))
    model.set_params(warm_start=True).fit(X, y)
    before = {"_params": model._params.copy(), "loss_curve_": list(model.loss_curve_)}
    arrays = {"y": y, "sample_weight": w}
    arrays = {name: chunked(a)[0] for name, a in arrays.items()}
    otherwise = chunked({"y": y, "sample_weight": w}[target], chunks=100)[0]
    arrays[target] = on_namespace(otherwise, "torch-cpu")
    with sklearn.config_context(array_api_dispatch=True):
        Xd = on_namespace(chunked(X)[0], "torch-cpu")
        with pytest.raises(ValueError, match=f"chunk {target} like X"):
            model.fit(Xd, arrays["y"], sample_weight=arrays["sample_weight"])
    assert_untouched(model, before)


def test_chunks_numpy_cannot_read_ask_for_array_api_dispatch():
    # without dispatch, chunks on a device would fail on a worker with their
    # library's error: said on the client, from the metadata, untouched
    X, y, _ = make_data("regression")
    model = BackpropMLPRegressor(hidden_layer_sizes=4, **params("lbfgs"))
    Xd, yd = chunked(X, y)
    on_device = [on_namespace(a, "strict-device1") for a in (Xd, yd)]
    for arrays in ((on_device[0], yd), (Xd, on_device[1])):
        with pytest.raises(ValueError, match="numpy cannot read.*array_api_dispatch"):
            model.fit(*arrays)
    assert not hasattr(model, "n_features_in_") and not hasattr(model, "coefs_")


@pytest.mark.parametrize("namespace", ["strict-device1", "torch-cpu"])
def test_an_activation_wrong_in_the_chunks_namespace_is_refused_untouched(namespace):
    # checked on the workers, in the chunks' namespace, before training, with
    # the error of the same X in memory: here the activation trains, but its
    # values outside numpy are not numpy's (its check against numpy says so)
    def tanh(a):
        if isinstance(a, np.ndarray):
            return np.tanh(a)
        return 1.01 * array_namespace(a).tanh(a)

    activation = Activation(tanh, lambda a, z: 1 - z * z, name="drifting_tanh")
    X, y, _ = make_data("regression")
    model = BackpropMLPRegressor(activation=activation, **params("lbfgs"))
    xp, device = NAMESPACES[namespace]
    with sklearn.config_context(array_api_dispatch=True):
        with pytest.raises(ValueError, match="drifting_tanh") as in_memory:
            clone(model).fit(xp.asarray(X, device=device), xp.asarray(y, device=device))
        Xd = on_namespace(chunked(X)[0], namespace)
        with dask.config.set(scheduler="threads"):
            with pytest.raises(ValueError) as on_dask:
                model.fit(Xd, chunked(y)[0])
    assert str(on_dask.value) == str(in_memory.value)
    assert not hasattr(model, "n_features_in_") and not hasattr(model, "coefs_")


def test_continuing_a_model_that_lives_on_a_device_on_dask_asks_to_move_it():
    X, y, _ = make_data("regression")
    xp, device = NAMESPACES["strict-device1"]
    model = BackpropMLPRegressor(hidden_layer_sizes=4, **params("gd"))
    with sklearn.config_context(array_api_dispatch=True):
        model = move_estimator_to(model.fit(X, y), xp, device)
        before = model._params.flat
        with dask.config.set(scheduler="threads"):
            for method in ("partial_fit", "fit"):
                with pytest.raises(ValueError, match="Move it to numpy first"):
                    model.set_params(warm_start=True)
                    getattr(model, method)(*chunked(X, y))
    assert model._params.flat is before and len(model.loss_curve_) == 25
