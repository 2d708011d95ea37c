"""Data-parallel L-BFGS on Dask against the in-memory fit: time and client memory.

Measures, for a ``BackpropMLPRegressor`` of 50 inputs -> (64,) -> 1 on float64
data (default 200k rows):

1. seconds per L-BFGS iteration (a ``fit`` with ``tol=0`` divided by its
   iterations) and per evaluation (one loss-and-gradient over all the data, the
   fastest of ``--repeats``), in
   memory and on a ``LocalCluster`` of two single-threaded worker processes
   holding X in ten persisted chunks;
2. the per-evaluation overhead of the Dask path: one evaluation on data of the
   same chunking and parameter count but only 10 rows per chunk;
3. the client's peak memory during the Dask fit (``tracemalloc``: every Python
   and numpy allocation of the client process, which also hosts the scheduler)
   next to the sizes of X, one chunk and θ.

With ``--namespace NAME [--device DEVICE]`` (e.g. ``torch --device cuda``, or
``cupy``) it also fits on the same chunks converted to that array API library
on the workers, under ``array_api_dispatch=True``: seconds per L-BFGS iteration
there, and whether its loss curve equals the numpy one
(``benchmarks/gpu_check.sh`` runs it on a GPU).

Run ``python benchmarks/bench_dask.py [--n-samples N] [--max-iter K]``; figures
go to stdout. Needs the ``distributed`` extra.
"""

import argparse
import importlib
import os
import time
import tracemalloc
import warnings

os.environ.setdefault("SCIPY_ARRAY_API", "1")  # before scipy: array API dispatch

import dask.array as da  # noqa: E402
import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from dask.distributed import Client, LocalCluster  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from skbackprop import BackpropMLPRegressor  # noqa: E402
from skbackprop._dask import validate_dask_training_data  # noqa: E402
from skbackprop._parameters import Parameters  # noqa: E402
from skbackprop._runner import full_batch_objective  # noqa: E402

N_FEATURES, HIDDEN, N_CHUNKS = 50, 64, 10


def make_model(max_iter):
    return BackpropMLPRegressor(
        hidden_layer_sizes=(HIDDEN,),
        solver="lbfgs",
        max_iter=max_iter,
        tol=0.0,
        random_state=0,
    )


def dask_data(n_samples):
    chunk = n_samples // N_CHUNKS
    X = da.random.RandomState(0).normal(size=(n_samples, N_FEATURES), chunks=chunk)
    y = da.sin(X[:, 0]) + X[:, 1] * X[:, 2]
    return X.persist(), y.persist()


def seconds_per_evaluation(objective, params, repeats):
    grads = Parameters.zeros(params.architecture, params.flat.dtype)
    objective(params, grads)  # warm up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        objective(params, grads)
        times.append(time.perf_counter() - start)
    return min(times)  # the least disturbed by other work on the machine


def dask_objective(X, y):
    model = make_model(1)
    data = validate_dask_training_data(
        model, X, y, None, reset=True, classes=None, incremental=False, splits=False
    )[0]
    params = data._template._params.copy()
    params.flat[...] = np.random.RandomState(0).uniform(-0.1, 0.1, params.flat.size)
    return data.full_batch_objective(params, 1e-4), params


def on_namespace(X, name, device):
    """X's chunks as arrays of the array API library ``name``, on ``device``."""
    xp = importlib.import_module(name)
    where = {} if device is None else {"device": device}

    def convert(block):
        return xp.asarray(block, **where)

    return X.map_blocks(convert, meta=xp.empty((0, 0), dtype=xp.float64, **where))


def timed_fit(model, X, y):
    start = time.perf_counter()
    model.fit(X, y)
    elapsed = time.perf_counter() - start
    return elapsed / model.n_iter_, model


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=200_000)
    parser.add_argument("--max-iter", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--namespace", help="also fit on chunks of this library")
    parser.add_argument("--device", help="the --namespace device, e.g. cuda")
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    print(f"load average: {os.getloadavg()}, cores: {os.cpu_count()}")
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as client,
    ):
        X, y = dask_data(args.n_samples)
        chunk_bytes = X.nbytes / N_CHUNKS
        # 3. (first, on a fresh client) the client's peak memory during the fit
        tracemalloc.start()
        dask_iter, on_dask = timed_fit(make_model(args.max_iter), X, y)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        objective, params = dask_objective(X, y)
        dask_eval = seconds_per_evaluation(objective, params, args.repeats)
        # 2. the overhead: the same evaluation on 10 rows per chunk
        X_tiny, y_tiny = dask_data(10 * N_CHUNKS)
        tiny_objective, tiny_params = dask_objective(X_tiny, y_tiny)
        overhead = seconds_per_evaluation(tiny_objective, tiny_params, args.repeats)
        if args.namespace:
            X_there = on_namespace(X, args.namespace, args.device).persist()
            with sklearn.config_context(array_api_dispatch=True):
                there_iter, there = timed_fit(make_model(args.max_iter), X_there, y)
            del X_there
        X_memory, y_memory = client.compute([X, y], sync=True)
    # 1. in memory, at the machine's default threading and at one BLAS thread
    memory_iter, in_memory = timed_fit(make_model(args.max_iter), X_memory, y_memory)
    with threadpool_limits(1):
        memory_iter_1 = timed_fit(make_model(args.max_iter), X_memory, y_memory)[0]
    memory_eval = seconds_per_evaluation(
        full_batch_objective(params, X_memory, y_memory.reshape(-1, 1), None, 1e-4),
        params,
        args.repeats,
    )
    same = np.allclose(on_dask.loss_curve_, in_memory.loss_curve_, rtol=1e-9)
    mb = 1e6
    print(f"data: {args.n_samples} x {N_FEATURES} -> ({HIDDEN},) -> 1, float64")
    print(f"chunks: {N_CHUNKS}; theta: {params.flat.size} parameters")
    print(f"loss curves equal to 1e-9: {same} ({on_dask.n_iter_} iterations)")
    print(f"s/iteration in memory, default threads: {memory_iter:.3f}")
    print(f"s/iteration in memory, one BLAS thread: {memory_iter_1:.3f}")
    print(f"s/iteration Dask, 2 worker processes: {dask_iter:.3f}")
    print(f"s/evaluation in memory {memory_eval:.3f}, Dask {dask_eval:.3f}")
    print(f"Dask per-evaluation overhead (10 rows per chunk): {overhead * 1e3:.1f} ms")
    if args.namespace:
        where = f"{args.namespace} on {args.device or 'its default device'}"
        same_there = np.allclose(there.loss_curve_, in_memory.loss_curve_, rtol=1e-9)
        print(f"s/iteration Dask, chunks in {where}: {there_iter:.3f}")
        print(f"  its loss curve equal to numpy's to 1e-9: {same_there}")
    print(
        f"client peak memory during the Dask fit: {peak / mb:.1f} MB "
        f"(X {X_memory.nbytes / mb:.0f} MB, one chunk {chunk_bytes / mb:.1f} MB, "
        f"theta {params.flat.nbytes / mb:.3f} MB)"
    )


if __name__ == "__main__":
    main()
