"""What keeps training fast at any threading and for any layout of X, checked by
what the code does rather than by timings:

- the stepping solvers call no BLAS but numpy's (scipy bundles a second OpenBLAS,
  whose thread pool fights numpy's);
- L-BFGS-B runs with scipy's BLAS held to one thread, given back afterwards, also
  when several fits run in threads at once (and from threads other than the main);
- shuffled minibatches are gathered from a C-ordered X (``take`` from any other
  layout copies the whole array, on every batch), copied at most once per fit;
- prediction keeps at most two layers' outputs alive.
"""

import subprocess
import sys
import textwrap
import threading
import tracemalloc
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.optimize
from threadpoolctl import threadpool_info

import skbackprop._training
from skbackprop import SoftmaxMLPClassifier
from skbackprop._threads import scipy_blas_libraries

# -- one BLAS library in the stepping solvers ------------------------------------
# Every routine of scipy's BLAS is wrapped to count its calls before skbackprop is
# imported, so a module that binds one at import time binds the counting wrapper.
COUNT_SCIPY_BLAS_CALLS = textwrap.dedent(
    """
    import warnings
    import numpy as np
    import scipy.linalg._fblas as fblas
    import scipy.linalg.blas as blas
    import scipy.sparse as sp

    calls = []

    def counting(name, routine):
        def wrapper(*args, **kwargs):
            calls.append(name)
            return routine(*args, **kwargs)
        return wrapper

    for module in (blas, fblas):
        for name in dir(module):
            routine = getattr(module, name)
            if type(routine).__name__ == "fortran":
                setattr(module, name, counting(name, routine))

    from skbackprop import SoftmaxMLPClassifier, TwoLayerSigmoidRegressor

    warnings.simplefilter("ignore")
    rng = np.random.RandomState(0)
    X = rng.randn(120, 6)
    labels = (X[:, 0] > 0).astype(int)
    target = 1 / (1 + np.exp(-X[:, 1]))
    for solver in ("gd", "sgd", "adam"):
        for data in (X, np.asfortranarray(X), X.astype(np.float32), sp.csr_matrix(X)):
            common = dict(solver=solver, alpha=0.01, max_iter=2, random_state=0)
            SoftmaxMLPClassifier(batch_size=50, **common).fit(data, labels)
            SoftmaxMLPClassifier(early_stopping=True, **common).fit(data, labels)
            reg = TwoLayerSigmoidRegressor(hidden_size=4, batch_size=50, **common)
            reg.fit(data, target).partial_fit(data, target)
            reg.predict(data)
    training_calls = list(calls)
    blas.daxpy(np.ones(3), np.ones(3))  # the counter itself sees scipy's BLAS
    print(training_calls, len(calls))
    """
)


def test_stepping_solvers_call_no_blas_but_numpys():
    out = subprocess.run(
        [sys.executable, "-c", COUNT_SCIPY_BLAS_CALLS],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.strip() == "[] 1"


# -- L-BFGS-B: scipy's pool held to one thread -----------------------------------
def scipy_only_blas_threads():
    """Thread counts of the BLAS libraries that ship inside scipy (not numpy's)."""
    ours = {lib.filepath for lib in scipy_blas_libraries()}
    return [
        info["num_threads"] for info in threadpool_info() if info["filepath"] in ours
    ]


def test_scipy_blas_is_told_apart_from_numpys():
    blas_files = {
        info["filepath"] for info in threadpool_info() if info["user_api"] == "blas"
    }
    found = {lib.filepath for lib in scipy_blas_libraries()}
    # wheels bundle one OpenBLAS each: scipy's is found, numpy's never is
    assert found < blas_files or (found == set() and len(blas_files) == 1)
    assert all("scipy" in path and "numpy" not in path for path in found)


@pytest.fixture
def lbfgs_data():
    rng = np.random.RandomState(0)
    X = rng.randn(80, 5)
    return X, (X[:, 0] + X[:, 1] > 0).astype(int)


@pytest.fixture
def scipy_blas_threads():
    """scipy's BLAS at two threads or more (else a limit to one shows nothing),
    set from the main thread as a program's ``threadpool_limits`` would: OpenBLAS
    then ignores ``openblas_set_num_threads`` from any other thread. Put back
    after the test."""
    libraries = scipy_blas_libraries()
    assert libraries, "scipy shares numpy's BLAS here: no second pool to hold"
    original = [lib.num_threads for lib in libraries]
    for lib, n_threads in zip(libraries, original, strict=True):
        lib.set_num_threads(max(n_threads, 2))
    before = scipy_only_blas_threads()
    yield before
    after = scipy_only_blas_threads()
    for lib, n_threads in zip(libraries, original, strict=True):
        lib.set_num_threads(n_threads)
    assert after == before


def spy_on_minimize(monkeypatch, during):
    """Run ``during()`` inside every scipy.optimize.minimize call."""
    minimize = scipy.optimize.minimize

    def spy(*args, **kwargs):
        during()
        return minimize(*args, **kwargs)

    monkeypatch.setattr(scipy.optimize, "minimize", spy)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_lbfgs_holds_scipys_blas_to_one_thread_and_restores_it(
    monkeypatch, lbfgs_data, scipy_blas_threads
):
    inside = []
    spy_on_minimize(monkeypatch, lambda: inside.append(scipy_only_blas_threads()))
    SoftmaxMLPClassifier(solver="lbfgs", max_iter=5, random_state=0).fit(*lbfgs_data)
    assert inside == [[1] * len(scipy_blas_threads)]
    assert scipy_only_blas_threads() == scipy_blas_threads


def test_lbfgs_restores_scipys_blas_after_an_error(
    monkeypatch, lbfgs_data, scipy_blas_threads
):
    def fail():
        raise RuntimeError("inside the optimisation")

    spy_on_minimize(monkeypatch, fail)
    with pytest.raises(RuntimeError, match="inside the optimisation"):
        SoftmaxMLPClassifier(solver="lbfgs", random_state=0).fit(*lbfgs_data)
    assert scipy_only_blas_threads() == scipy_blas_threads


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_concurrent_lbfgs_fits_keep_the_limit_until_the_last_one_ends(
    monkeypatch, lbfgs_data, scipy_blas_threads
):
    # A fit in a worker thread waits inside the optimisation while the main
    # thread fits whole: the main thread's fit must not give scipy its threads
    # back while the worker's still runs, and the worker's, which ends last, must.
    worker_inside, main_done = threading.Event(), threading.Event()
    seen_by_worker = []

    def during():
        if threading.current_thread() is threading.main_thread():
            return
        worker_inside.set()
        main_done.wait(timeout=30)
        seen_by_worker.append(scipy_only_blas_threads())

    spy_on_minimize(monkeypatch, during)

    def fit():
        SoftmaxMLPClassifier(solver="lbfgs", max_iter=5, random_state=0).fit(
            *lbfgs_data
        )

    worker = threading.Thread(target=fit)
    worker.start()
    try:
        assert worker_inside.wait(timeout=30)
        fit()
    finally:
        main_done.set()
        worker.join(timeout=60)
    assert seen_by_worker == [[1] * len(scipy_blas_threads)]
    assert scipy_only_blas_threads() == scipy_blas_threads


# -- minibatches gathered at the cost of the batch -------------------------------
@pytest.fixture
def runners(monkeypatch):
    """Every MinibatchRunner made while the test runs."""
    made = []
    init = skbackprop._runner.MinibatchRunner.__init__

    def recording_init(self, *args, **kwargs):
        init(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(skbackprop._runner.MinibatchRunner, "__init__", recording_init)
    return made


def layouts(X):
    """X as users pass it: every layout and container the issue tracker has seen."""
    wide = np.repeat(X, 2, axis=1)
    return {
        "fortran": np.asfortranarray(X),
        "dataframe": pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])]),
        "float32 dataframe": pd.DataFrame(X.astype(np.float32)),
        "strided view": wide[:, ::2],
        "float32 fortran": np.asfortranarray(X, dtype=np.float32),
    }


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.filterwarnings("ignore:X has feature names:UserWarning")
@pytest.mark.parametrize("layout", list(layouts(np.zeros((1, 1)))))
@pytest.mark.parametrize("call", ["fit", "partial_fit", "warm_start"])
def test_shuffled_minibatches_gather_from_a_c_ordered_copy(runners, layout, call):
    rng = np.random.RandomState(0)
    X = rng.randn(300, 7)
    y = (X[:, 0] > 0).astype(int)
    data = layouts(X)[layout]
    clf = SoftmaxMLPClassifier(hidden_layer_sizes=4, batch_size=32, max_iter=2)
    if call == "fit":
        clf.fit(data, y)
    elif call == "partial_fit":
        clf.partial_fit(X.astype(np.float32), y, classes=[0, 1])  # a float32 model
        clf.partial_fit(data, y)
    else:
        clf.set_params(warm_start=True).fit(X, y).fit(data, y)
    runner = runners[-1]
    assert runner.X.flags.c_contiguous
    assert runner.X.dtype == clf.coefs_[0].dtype
    X_batch, _, _ = runner._gather(np.array([5, 1, 3]))
    assert np.shares_memory(X_batch, runner._X_batch)  # into the reused buffer
    np.testing.assert_array_equal(
        X_batch, np.asarray(data, dtype=runner.X.dtype)[[5, 1, 3]]
    )


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_c_ordered_x_in_the_model_dtype_is_never_copied(runners, tmp_path, dtype):
    rng = np.random.RandomState(0)
    X = rng.randn(300, 7).astype(dtype)
    y = (X[:, 0] > 0).astype(int)
    path = tmp_path / "X.dat"
    X.tofile(path)
    X_map = np.memmap(path, dtype=dtype, mode="r", shape=X.shape)  # read-only
    for data in (X, X_map):
        SoftmaxMLPClassifier(hidden_layer_sizes=4, batch_size=32, max_iter=2).fit(
            data, y
        )
        assert np.shares_memory(runners[-1].X, data)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("layout", ["c", "fortran", "dataframe"])
def test_a_fit_copies_x_at_most_once(layout):
    # numpy reports its buffers to tracemalloc: with a network too small to
    # matter, the peak of a shuffled-minibatch fit is the copies of X it made
    rng = np.random.RandomState(0)
    X = rng.randn(20_000, 40)
    y = (X[:, 0] > 0).astype(int)
    data = {"c": X, "fortran": np.asfortranarray(X), "dataframe": pd.DataFrame(X)}
    clf = SoftmaxMLPClassifier(hidden_layer_sizes=2, batch_size=200, max_iter=1)
    tracemalloc.start()
    try:
        clf.fit(data[layout], y)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    copies_allowed = 0 if layout == "c" else 1
    assert peak < (copies_allowed + 0.25) * X.nbytes


# -- prediction holds two layers at a time ---------------------------------------
@pytest.mark.parametrize("depth", [3, 5])
def test_predict_holds_at_most_two_layers(depth):
    rng = np.random.RandomState(0)
    X = rng.randn(4_000, 10)
    clf = SoftmaxMLPClassifier(hidden_layer_sizes=(256,) * depth, max_iter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X[:50], (X[:50, 0] > 0).astype(int))
    layer_bytes = X.shape[0] * 256 * 8
    tracemalloc.start()
    try:
        clf.predict(X)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2.5 * layer_bytes
