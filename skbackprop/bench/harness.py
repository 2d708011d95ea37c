"""Side-by-side benchmark: skbackprop against scikit-learn's MLP doing the same work.

``python -m skbackprop bench`` and ``benchmarks/bench_vs_sklearn.py`` both run
``main``. For every workload and dtype, our estimator and scikit-learn's
``MLPClassifier``/``MLPRegressor`` are fitted in one process with the same
architecture, activation, solver, hyper-parameters, batch size, dtype and
``random_state``, for a fixed number of epochs (``tol=0``, ``n_iter_no_change`` =
``max_iter``, no early stopping: both ``n_iter_`` must equal the epoch count). BLAS
runs on one thread. Each repeat fits both libraries, in alternating order, and times
the GEMM floor: the same matrix products in bare numpy into preallocated buffers.
Repeat r uses ``random_state=r`` for both libraries, so the final losses are averaged
over ``repeats`` seeds. Peak memory is measured in a separate one-epoch pass with
``tracemalloc``, outside the timed runs.

This module holds the measurement of one workload (``run_workload``); the command
line (``main``) is in ``command``. The problems are in ``workloads``, the two
estimators and the checks that they do the same work in ``pair``, the GEMM floor in
``floor``, the tables, machine description and profile in ``report``.
"""

import gc
import statistics
import time
import tracemalloc

import numpy as np

from .floor import (
    NUMPY_FLOOR_SOLVERS,
    gemm_floor_seconds,
    gemm_flops,
    numpy_floor_seconds,
)
from .pair import (
    LIBRARIES,
    estimator_pair,
    initial_weights_match,
    same_path_difference,
)
from .workloads import DTYPES


def _layer_sizes(w, X, y):
    n_outputs = len(np.unique(y)) if w.task == "classification" else 1
    return (X.shape[1], w.hidden, n_outputs)


def _batch_rows(w, n_train):
    if w.solver in ("gd", "lbfgs"):  # full batch
        return n_train
    return min(200 if w.batch_size == "auto" else w.batch_size, n_train)


# -- measurements ----------------------------------------------------------------
def _timed_fit(estimator, X, y):
    gc.collect()
    start = time.perf_counter()
    estimator.fit(X, y)
    return time.perf_counter() - start


def _peak_memory_mib(estimator, X, y):
    """Peak traced memory of one fit (numpy reports its buffers to tracemalloc)."""
    gc.collect()
    tracemalloc.start()
    try:
        estimator.fit(X, y)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak / 2**20


def _as_given(w, X):
    """X as the workload's users pass it: a numpy array or a pandas DataFrame."""
    if not w.dataframe:
        return X
    import pandas as pd  # only for the DataFrame workloads

    return pd.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])])


def run_workload(w, data, dtype, *, repeats, quick, threads):
    """Fit both libraries ``repeats`` times and return one row of results.

    ``threads`` ("one" or "default") only labels the row: the caller sets the
    BLAS threading around the call.
    """
    X_train, X_test, y_train, y_test = data
    X_train, X_test = X_train.astype(dtype), X_test.astype(dtype)
    if w.task == "regression":
        y_train, y_test = y_train.astype(dtype), y_test.astype(dtype)
    X_fit, X_score = _as_given(w, X_train), _as_given(w, X_test)
    epochs = w.quick_epochs if quick else w.epochs
    n_train = X_train.shape[0]
    layer_sizes = _layer_sizes(w, X_train, y_train)
    batch_rows = _batch_rows(w, n_train)
    runs = {
        lib: {"time": [], "loss": [], "score": [], "n_iter": []} for lib in LIBRARIES
    }
    floor, numpy_floor = [], []
    for r in range(repeats):
        pair = estimator_pair(w, n_train=n_train, epochs=epochs, random_state=r)
        order = list(LIBRARIES) + ["floor", "numpy floor"]
        for name in order if r % 2 == 0 else order[::-1]:
            if name == "floor":
                floor.append(
                    gemm_floor_seconds(X_train, layer_sizes, batch_rows, epochs)
                )
                continue
            if name == "numpy floor":
                if w.solver in NUMPY_FLOOR_SOLVERS:
                    numpy_floor.append(
                        numpy_floor_seconds(
                            X_train,
                            layer_sizes,
                            batch_rows,
                            epochs,
                            w.activation,
                            w.solver,
                        )
                    )
                continue
            estimator = pair[name]
            seconds = _timed_fit(estimator, X_fit, y_train)
            if estimator.coefs_[0].dtype != np.dtype(dtype):
                raise RuntimeError(f"{name} trained in {estimator.coefs_[0].dtype}.")
            runs[name]["time"].append(seconds)
            runs[name]["loss"].append(float(estimator.loss_))
            runs[name]["score"].append(float(estimator.score(X_score, y_test)))
            runs[name]["n_iter"].append(int(estimator.n_iter_))
    for name in LIBRARIES:
        if set(runs[name]["n_iter"]) != {epochs}:
            raise RuntimeError(
                f"{w.name}/{dtype}: {name} ran {runs[name]['n_iter']} epochs, not "
                f"{epochs}: the two libraries did not do the same work."
            )
    flops = gemm_flops(layer_sizes, n_train, epochs)
    t = {name: statistics.median(runs[name]["time"]) for name in LIBRARIES}
    t["floor"] = statistics.median(floor)
    t["numpy_floor"] = statistics.median(numpy_floor) if numpy_floor else None
    loss = {name: statistics.fmean(runs[name]["loss"]) for name in LIBRARIES}
    identical, init_diff = initial_weights_match(w, X_train[:1000], y_train[:1000])
    path_diff = same_path_difference(w, X_train[:2000], y_train[:2000], min(epochs, 10))
    numpy_floor_ratio = (
        None if t["numpy_floor"] is None else t["numpy_floor"] / t["floor"]
    )
    row = {
        "workload": w.name,
        "dtype": dtype,
        "threads": threads,
        "input": "DataFrame" if w.dataframe else "ndarray",
        "n_train": n_train,
        "layer_sizes": list(layer_sizes),
        "solver": w.solver,
        "batch_size": batch_rows,
        "epochs": epochs,
        "repeats": repeats,
        "n_iter_ours": runs["ours"]["n_iter"][0],
        "n_iter_sklearn": runs["sklearn"]["n_iter"][0],
        "time_ours": t["ours"],
        "time_sklearn": t["sklearn"],
        "time_floor": t["floor"],
        "time_numpy_floor": t["numpy_floor"],
        "ratio": t["ours"] / t["sklearn"],
        "ours_over_floor": t["ours"] / t["floor"],
        "numpy_floor_over_floor": numpy_floor_ratio,
        "ours_over_numpy_floor": (
            None if t["numpy_floor"] is None else t["ours"] / t["numpy_floor"]
        ),
        "target_ratio": (
            w.target_ratio[DTYPES.index(dtype)]
            if threads == "one"
            else w.target_default
        ),
        "target_floor": w.target_floor,
        "gflop": flops / 1e9,
        "gflops_ours": flops / t["ours"] / 1e9,
        "gflops_sklearn": flops / t["sklearn"] / 1e9,
        "gflops_floor": flops / t["floor"] / 1e9,
        "loss_ours": loss["ours"],
        "loss_sklearn": loss["sklearn"],
        "loss_rel_diff": loss["ours"] / loss["sklearn"] - 1.0,
        "score_ours": statistics.fmean(runs["ours"]["score"]),
        "score_sklearn": statistics.fmean(runs["sklearn"]["score"]),
        "init_identical": identical,
        "init_max_abs_diff": init_diff,
        "same_path_rel_diff": path_diff,
        "peak_mib_ours": None,
        "peak_mib_sklearn": None,
        "runs": runs,
        "floor_runs": floor,
        "numpy_floor_runs": numpy_floor,
    }
    if w.large:
        pair = estimator_pair(w, n_train=n_train, epochs=1, random_state=0)
        for name in LIBRARIES:
            row[f"peak_mib_{name}"] = _peak_memory_mib(pair[name], X_fit, y_train)
    return row
