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
"""

import argparse
import cProfile
import gc
import json
import os
import platform
import pstats
import statistics
import sys
import time
import tracemalloc
import warnings
from dataclasses import dataclass

import numpy as np
import sklearn
from sklearn.datasets import (
    load_diabetes,
    load_digits,
    make_classification,
    make_regression,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_info, threadpool_limits

from ._classifier import SoftmaxMLPClassifier
from ._regressor import TwoLayerSigmoidRegressor

ALPHA, BETA_1, BETA_2, EPSILON = 1e-4, 0.9, 0.999, 1e-8
DTYPES = ("float64", "float32")
LIBRARIES = ("ours", "sklearn")


# -- workloads -------------------------------------------------------------------
def _split_and_scale(X, y, *, test_size, scale_y):
    """Hold out a test set; standardise X (and y) with statistics of the train set."""
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_size, random_state=0
    )
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    if scale_y:
        mean, std = y_train.mean(), y_train.std()
        y_train, y_test = (y_train - mean) / std, (y_test - mean) / std
    return X_train, X_test, y_train, y_test


def _digits(quick):
    X, y = load_digits(return_X_y=True)
    if quick:
        X, y = X[:400], y[:400]
    return _split_and_scale(X, y, test_size=0.25, scale_y=False)


def _classification(quick):
    n_train, n_features, n_informative = (
        (1_000, 20, 10) if quick else (100_000, 100, 30)
    )
    X, y = make_classification(
        n_samples=n_train + n_train // 5,
        n_features=n_features,
        n_informative=n_informative,
        n_redundant=n_informative // 3,
        n_classes=10,
        random_state=0,
    )
    return _split_and_scale(X, y, test_size=1 / 6, scale_y=False)


def _regression(quick):
    n_train, n_features = (1_000, 10) if quick else (100_000, 50)
    X, y = make_regression(
        n_samples=n_train + n_train // 5,
        n_features=n_features,
        n_informative=n_features // 2,
        noise=10.0,
        random_state=0,
    )
    return _split_and_scale(X, y, test_size=1 / 6, scale_y=True)


def _diabetes(quick):
    X, y = load_diabetes(return_X_y=True)
    return _split_and_scale(X, y, test_size=0.25, scale_y=True)


@dataclass(frozen=True)
class Workload:
    """One benchmark problem and the training both libraries run on it."""

    name: str
    task: str  # "classification" or "regression"
    load: object  # quick -> (X_train, X_test, y_train, y_test), float64
    hidden: int
    activation: str  # ours: "relu" or "sigmoid"
    solver: str  # ours: "gd", "sgd" or "adam"
    learning_rate: float
    batch_size: object  # int or "auto"; ignored by gd
    epochs: int
    quick_epochs: int
    target_ratio: tuple  # ours/sklearn median fit time, (float64, float32)
    target_floor: float | None = None  # ours / GEMM floor
    large: bool = False  # measure peak memory


WORKLOADS = {
    w.name: w
    for w in [
        Workload(
            name="digits",
            task="classification",
            load=_digits,
            hidden=64,
            activation="relu",
            solver="adam",
            learning_rate=1e-3,
            batch_size="auto",
            epochs=50,
            quick_epochs=3,
            target_ratio=(0.45, 0.32),
        ),
        Workload(
            name="classification",
            task="classification",
            load=_classification,
            hidden=256,
            activation="sigmoid",
            solver="adam",
            learning_rate=1e-3,
            batch_size=256,
            epochs=5,
            quick_epochs=2,
            target_ratio=(0.62, 0.52),
            target_floor=1.6,
            large=True,
        ),
        Workload(
            name="regression",
            task="regression",
            load=_regression,
            hidden=128,
            activation="sigmoid",
            solver="adam",
            learning_rate=1e-3,
            batch_size=256,
            epochs=10,
            quick_epochs=2,
            target_ratio=(0.50, 0.36),
            large=True,
        ),
        Workload(
            name="diabetes-gd",
            task="regression",
            load=_diabetes,
            hidden=16,
            activation="sigmoid",
            solver="gd",
            learning_rate=0.1,
            batch_size="auto",
            epochs=500,
            quick_epochs=10,
            target_ratio=(0.35, 0.26),
        ),
    ]
}


def estimator_pair(w, *, n_train, epochs, random_state, **overrides):
    """Our estimator and scikit-learn's, configured to do the same work.

    ``overrides`` (``solver``, ``learning_rate``, ``alpha``) replace the workload's.
    Our "gd" (one full-batch step per epoch) is scikit-learn's "sgd" with one batch
    of all samples and no momentum.
    """
    solver = overrides.get("solver", w.solver)
    learning_rate = overrides.get("learning_rate", w.learning_rate)
    alpha = overrides.get("alpha", ALPHA)
    shared = {
        "alpha": alpha,
        "beta_1": BETA_1,
        "beta_2": BETA_2,
        "epsilon": EPSILON,
        "momentum": 0.0,
        "max_iter": epochs,
        "tol": 0.0,
        "n_iter_no_change": epochs,
        "early_stopping": False,
        "shuffle": True,
        "random_state": random_state,
    }
    ours = dict(
        shared, solver=solver, learning_rate=learning_rate, batch_size=w.batch_size
    )
    theirs = dict(
        shared,
        hidden_layer_sizes=(w.hidden,),
        activation="logistic" if w.activation == "sigmoid" else w.activation,
        solver="sgd" if solver == "gd" else solver,
        learning_rate_init=learning_rate,
        learning_rate="constant",
        nesterovs_momentum=False,
        batch_size=n_train if solver == "gd" else w.batch_size,
    )
    if w.task == "classification":
        mine = SoftmaxMLPClassifier(
            hidden_layer_sizes=(w.hidden,), activation=w.activation, **ours
        )
        return {"ours": mine, "sklearn": MLPClassifier(**theirs)}
    if w.activation != "sigmoid":
        raise ValueError("TwoLayerSigmoidRegressor has a sigmoid hidden layer only.")
    mine = TwoLayerSigmoidRegressor(hidden_size=w.hidden, **ours)
    return {"ours": mine, "sklearn": MLPRegressor(**theirs)}


def _layer_sizes(w, X, y):
    n_outputs = len(np.unique(y)) if w.task == "classification" else 1
    return (X.shape[1], w.hidden, n_outputs)


def _batch_rows(w, n_train):
    if w.solver == "gd":
        return n_train
    return min(200 if w.batch_size == "auto" else w.batch_size, n_train)


# -- the GEMM floor ----------------------------------------------------------------
def gemm_flops(layer_sizes, n_samples, epochs):
    """Floating-point operations of the training's matrix products.

    Per sample and epoch: forward a_k = h_{k−1} W_k and backward h_{k−1}ᵀ δ_k for
    every layer, δ_k W_kᵀ for every layer but the first; 2·fan_in·fan_out each.
    The batch size does not change the count.
    """
    products = [i * o for i, o in zip(layer_sizes[:-1], layer_sizes[1:], strict=True)]
    return 2 * (2 * sum(products) + sum(products[1:])) * n_samples * epochs


def gemm_floor_seconds(X, layer_sizes, batch_rows, epochs):
    """Time the same matrix products in bare numpy, written into preallocated
    buffers: the machine's limit for this training."""
    rng = np.random.default_rng(0)
    dtype = X.dtype
    shapes = list(zip(layer_sizes[:-1], layer_sizes[1:], strict=True))
    weights = [rng.standard_normal(s).astype(dtype) for s in shapes]
    grads = [np.empty(s, dtype) for s in shapes]
    outs = [np.empty((batch_rows, o), dtype) for _, o in shapes]
    deltas = [rng.standard_normal((batch_rows, o)).astype(dtype) for _, o in shapes]
    back = [np.empty((batch_rows, i), dtype) for i, _ in shapes]
    n = X.shape[0]
    start = time.perf_counter()
    for _ in range(epochs):
        for first in range(0, n, batch_rows):
            h = X[first : first + batch_rows]
            m = h.shape[0]
            inputs = []
            for W, out in zip(weights, outs, strict=True):
                inputs.append(h)
                h = np.matmul(h, W, out=out[:m])
            for k in range(len(weights) - 1, -1, -1):
                np.matmul(inputs[k].T, deltas[k][:m], out=grads[k])
                if k > 0:
                    np.matmul(deltas[k][:m], weights[k].T, out=back[k][:m])
    return time.perf_counter() - start


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


def _initial_weights_match(w, X, y):
    """Whether both libraries draw the same initial weights for one random_state.

    Read through the public API: one epoch of plain SGD with a learning rate of
    1e-30 and no L2 leaves every weight bit-for-bit where it was drawn.
    Returns (identical, max |difference|).
    """
    pair = estimator_pair(
        w,
        n_train=len(X),
        epochs=1,
        random_state=0,
        solver="sgd",
        learning_rate=1e-30,
        alpha=0.0,
    )
    for estimator in pair.values():
        estimator.fit(X, y)
    ours, theirs = pair["ours"], pair["sklearn"]
    arrays = zip(
        ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_, strict=True
    )
    diffs = [np.max(np.abs(a - b.reshape(a.shape)), initial=0.0) for a, b in arrays]
    return bool(max(diffs) == 0.0), float(max(diffs))


class _SklearnShuffleOrder(np.random.RandomState):
    """A RandomState whose ``permutation(n)`` returns scikit-learn's epoch order.

    Both libraries draw one ``permutation(n)`` per epoch from their RandomState;
    scikit-learn applies it to the previous epoch's order (the orders compose),
    skbackprop uses it as it comes. Handed to our estimator as ``random_state``,
    this makes it visit the minibatches in scikit-learn's order.
    """

    _order = None

    def permutation(self, x):
        drawn = super().permutation(x)
        self._order = drawn if self._order is None else self._order[drawn]
        return self._order.copy()


def _same_path_difference(w, X, y, epochs):
    """Max relative difference of the two loss curves when our estimator visits
    the minibatches in scikit-learn's order: rounding only, if the libraries
    compute the same thing."""
    pair = estimator_pair(w, n_train=len(X), epochs=epochs, random_state=0)
    pair["ours"].set_params(random_state=_SklearnShuffleOrder(0))
    for estimator in pair.values():
        estimator.fit(X, y)
    ours, theirs = (np.asarray(pair[lib].loss_curve_) for lib in LIBRARIES)
    return float(np.max(np.abs(ours / theirs - 1.0)))


def run_workload(w, data, dtype, *, repeats, quick):
    """Fit both libraries ``repeats`` times and return one row of results."""
    X_train, X_test, y_train, y_test = data
    X_train, X_test = X_train.astype(dtype), X_test.astype(dtype)
    if w.task == "regression":
        y_train, y_test = y_train.astype(dtype), y_test.astype(dtype)
    epochs = w.quick_epochs if quick else w.epochs
    n_train = X_train.shape[0]
    layer_sizes = _layer_sizes(w, X_train, y_train)
    batch_rows = _batch_rows(w, n_train)
    runs = {
        lib: {"time": [], "loss": [], "score": [], "n_iter": []} for lib in LIBRARIES
    }
    floor = []
    for r in range(repeats):
        pair = estimator_pair(w, n_train=n_train, epochs=epochs, random_state=r)
        order = list(LIBRARIES) + ["floor"]
        for name in order if r % 2 == 0 else order[::-1]:
            if name == "floor":
                floor.append(
                    gemm_floor_seconds(X_train, layer_sizes, batch_rows, epochs)
                )
                continue
            estimator = pair[name]
            seconds = _timed_fit(estimator, X_train, y_train)
            if estimator.coefs_[0].dtype != np.dtype(dtype):
                raise RuntimeError(f"{name} trained in {estimator.coefs_[0].dtype}.")
            runs[name]["time"].append(seconds)
            runs[name]["loss"].append(float(estimator.loss_))
            runs[name]["score"].append(float(estimator.score(X_test, y_test)))
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
    loss = {name: statistics.fmean(runs[name]["loss"]) for name in LIBRARIES}
    identical, init_diff = _initial_weights_match(w, X_train[:1000], y_train[:1000])
    path_diff = _same_path_difference(
        w, X_train[:2000], y_train[:2000], min(epochs, 10)
    )
    row = {
        "workload": w.name,
        "dtype": dtype,
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
        "ratio": t["ours"] / t["sklearn"],
        "ours_over_floor": t["ours"] / t["floor"],
        "target_ratio": w.target_ratio[DTYPES.index(dtype)],
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
    }
    if w.large:
        pair = estimator_pair(w, n_train=n_train, epochs=1, random_state=0)
        for name in LIBRARIES:
            row[f"peak_mib_{name}"] = _peak_memory_mib(pair[name], X_train, y_train)
    return row


# -- reporting -------------------------------------------------------------------
def _fmt(value, spec):
    return "—" if value is None else format(value, spec)


TIME_COLUMNS = [
    ("workload", lambda r: r["workload"]),
    ("dtype", lambda r: r["dtype"]),
    ("epochs", lambda r: str(r["epochs"])),
    ("ours s", lambda r: f"{r['time_ours']:.3f}"),
    ("sklearn s", lambda r: f"{r['time_sklearn']:.3f}"),
    ("ratio", lambda r: f"{r['ratio']:.2f}"),
    ("target", lambda r: f"≤ {r['target_ratio']:.2f}"),
    ("floor s", lambda r: f"{r['time_floor']:.3f}"),
    ("ours/floor", lambda r: f"{r['ours_over_floor']:.2f}"),
    ("GFLOP/s ours", lambda r: f"{r['gflops_ours']:.1f}"),
    ("GFLOP/s sklearn", lambda r: f"{r['gflops_sklearn']:.1f}"),
    ("GFLOP/s floor", lambda r: f"{r['gflops_floor']:.1f}"),
]
WORK_COLUMNS = [
    ("workload", lambda r: r["workload"]),
    ("dtype", lambda r: r["dtype"]),
    ("loss ours", lambda r: f"{r['loss_ours']:.5g}"),
    ("loss sklearn", lambda r: f"{r['loss_sklearn']:.5g}"),
    ("loss diff", lambda r: f"{100 * r['loss_rel_diff']:+.2f} %"),
    ("score ours", lambda r: f"{r['score_ours']:.4f}"),
    ("score sklearn", lambda r: f"{r['score_sklearn']:.4f}"),
    (
        "same init",
        lambda r: (
            "yes" if r["init_identical"] else f"no ({r['init_max_abs_diff']:.1e})"
        ),
    ),
    ("same path", lambda r: f"{r['same_path_rel_diff']:.0e}"),
    ("peak MiB ours", lambda r: _fmt(r["peak_mib_ours"], ".1f")),
    ("peak MiB sklearn", lambda r: _fmt(r["peak_mib_sklearn"], ".1f")),
]


def format_table(rows, columns, *, markdown=False):
    """The rows as an aligned text table, or as a Markdown table."""
    header = [title for title, _ in columns]
    body = [[cell(r) for _, cell in columns] for r in rows]
    if markdown:
        lines = ["| " + " | ".join(header) + " |"]
        lines.append(
            "|" + "|".join("---" if i < 2 else "--:" for i in range(len(header))) + "|"
        )
        lines += ["| " + " | ".join(cells) + " |" for cells in body]
        return "\n".join(lines)
    widths = [max(len(c) for c in col) for col in zip(header, *body, strict=True)]
    return "\n".join(
        "  ".join(
            c.ljust(wd) if i < 2 else c.rjust(wd)
            for i, (c, wd) in enumerate(zip(cells, widths, strict=True))
        )
        for cells in [header, *body]
    )


def machine_info():
    """CPU, library versions and the BLAS (with the kernel it picked) in use."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(ln.split(":", 1)[1].strip() for ln in f if "model name" in ln)
    except (OSError, StopIteration):
        pass
    blas = [
        f"{i['internal_api']} {i['version']}, kernel {i.get('architecture', '?')}, "
        f"{i['threading_layer']} ({os.path.basename(i['filepath'])})"
        for i in threadpool_info()
        if i["user_api"] == "blas"
    ]
    env_names = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS")
    return {
        "cpu": f"{cpu}, {os.cpu_count()} logical CPUs ({platform.machine()})",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
        "blas": blas,
        "blas environment": {k: os.environ[k] for k in env_names if k in os.environ},
    }


def _print_machine(info, markdown):
    for key, value in info.items():
        if isinstance(value, list):
            value = "; ".join(value)
        elif isinstance(value, dict):
            value = ", ".join(f"{k}={v}" for k, v in value.items()) or "(none set)"
        print(f"- {key}: {value}" if markdown else f"{key:>17}: {value}")


def profile_fit(w, data, dtype, *, quick, top=15):
    """cProfile of one fit of our estimator: the top functions by own time."""
    X_train, _, y_train, _ = data
    X_train = X_train.astype(dtype)
    y_train = y_train.astype(dtype) if w.task == "regression" else y_train
    epochs = w.quick_epochs if quick else w.epochs
    ours = estimator_pair(w, n_train=len(X_train), epochs=epochs, random_state=0)
    profiler = cProfile.Profile()
    profiler.runcall(ours["ours"].fit, X_train, y_train)
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(top)


# -- command line ----------------------------------------------------------------
def _parser():
    parser = argparse.ArgumentParser(
        prog="python -m skbackprop bench",
        description="Time skbackprop against scikit-learn's MLPClassifier/"
        "MLPRegressor doing the same work, on one BLAS thread.",
    )
    parser.add_argument(
        "--workloads",
        nargs="+",
        choices=list(WORKLOADS),
        default=list(WORKLOADS),
        metavar="NAME",
        help=f"subset of {', '.join(WORKLOADS)} (default: all)",
    )
    parser.add_argument("--dtypes", nargs="+", choices=DTYPES, default=list(DTYPES))
    parser.add_argument(
        "--repeats",
        type=int,
        default=5,
        help="fits of each library per workload (default: 5)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="tiny data and few epochs: checks the harness only",
    )
    parser.add_argument(
        "--markdown",
        action="store_true",
        help="print the machine and the tables as Markdown",
    )
    parser.add_argument(
        "--json", metavar="PATH", help="also write every measurement to this JSON file"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="then profile one fit of ours per workload and dtype",
    )
    return parser


def main(argv=None):
    """Run the benchmark; return the exit status."""
    args = _parser().parse_args(argv)
    if args.repeats < 1:
        _parser().error("--repeats must be at least 1")
    info = machine_info()
    _print_machine(info, args.markdown)
    rows = []
    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for name in args.workloads:
            w = WORKLOADS[name]
            data = w.load(args.quick)
            for dtype in args.dtypes:
                rows.append(
                    run_workload(w, data, dtype, repeats=args.repeats, quick=args.quick)
                )
                print(f"done: {name} {dtype}", file=sys.stderr, flush=True)
                if args.profile:
                    profile_fit(w, data, dtype, quick=args.quick)
    print(
        f"\nMedian fit time over {args.repeats} repeat(s), one BLAS thread; "
        "GFLOP/s counts the matrix products only.\n"
    )
    print(format_table(rows, TIME_COLUMNS, markdown=args.markdown))
    print(
        "\nFinal training loss and held-out score (accuracy or R²): means over the "
        "repeats' seeds; peak memory of a one-epoch fit (tracemalloc).\n"
    )
    print(format_table(rows, WORK_COLUMNS, markdown=args.markdown))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {"machine": info, "args": vars(args), "results": rows}, f, indent=1
            )
    return 0
