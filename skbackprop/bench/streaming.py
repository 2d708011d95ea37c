"""The ``partial-fit`` workload: the time of one ``partial_fit`` call on a small chunk.

Streaming users (dask-ml's ``Incremental``, river-style loops) call ``partial_fit``
once per chunk, so what a call costs beyond its chunk's compute — validation,
copies, checks — is paid on every chunk. ``run_partial_fit`` streams the same data
in 200-row chunks through our estimator and scikit-learn's (adam, one hidden layer
of 64, the same settings), and reports the median over the repeats of the mean
time per call after the first, for a regressor and a classifier.
"""

import gc
import statistics
import time

import numpy as np
from sklearn.datasets import make_classification, make_regression
from sklearn.neural_network import MLPClassifier, MLPRegressor

from .._classifier import SoftmaxMLPClassifier
from .._mlp_regressor import BackpropMLPRegressor

NAME = "partial-fit"
CHUNK_ROWS = 200
HIDDEN = 64
TARGET_RATIO = 0.5  # ours / scikit-learn's time per call, at both threadings


def _data(task, quick):
    n_samples, n_features = (2_000, 10) if quick else (20_000, 50)
    if task == "regression":
        X, y = make_regression(
            n_samples=n_samples, n_features=n_features, noise=10.0, random_state=0
        )
        return X, (y - y.mean()) / y.std()
    return make_classification(
        n_samples=n_samples,
        n_features=n_features,
        n_informative=n_features // 2,
        n_classes=3,
        random_state=0,
    )


def _pair(task, random_state):
    shared = {
        "hidden_layer_sizes": (HIDDEN,),
        "solver": "adam",
        "alpha": 1e-4,
        "batch_size": CHUNK_ROWS,
        "random_state": random_state,
    }
    if task == "regression":
        return {
            "ours": BackpropMLPRegressor(**shared),
            "sklearn": MLPRegressor(**shared),
        }
    return {
        "ours": SoftmaxMLPClassifier(**shared),
        "sklearn": MLPClassifier(**shared),
    }


def _seconds_per_call(estimator, chunks, classes):
    """Mean seconds of a ``partial_fit`` call, the first (which builds the
    network) left out."""
    first = {} if classes is None else {"classes": classes}
    estimator.partial_fit(*chunks[0], **first)
    gc.collect()
    start = time.perf_counter()
    for X, y in chunks[1:]:
        estimator.partial_fit(X, y)
    return (time.perf_counter() - start) / (len(chunks) - 1)


def run_partial_fit(dtype, *, repeats, quick, threads):
    """One row per task (regression, classification) for this dtype."""
    rows = []
    for task in ("regression", "classification"):
        X, y = _data(task, quick)
        X = X.astype(dtype)
        if task == "regression":
            y = y.astype(dtype)
        chunks = [
            (X[i : i + CHUNK_ROWS], y[i : i + CHUNK_ROWS])
            for i in range(0, X.shape[0], CHUNK_ROWS)
        ]
        classes = np.unique(y) if task == "classification" else None
        times = {"ours": [], "sklearn": []}
        for r in range(repeats):
            pair = _pair(task, r)
            order = ["ours", "sklearn"] if r % 2 == 0 else ["sklearn", "ours"]
            for name in order:
                times[name].append(_seconds_per_call(pair[name], chunks, classes))
        ours, theirs = (statistics.median(times[n]) for n in ("ours", "sklearn"))
        rows.append(
            {
                "workload": NAME,
                "task": task,
                "dtype": dtype,
                "threads": threads,
                "n_samples": X.shape[0],
                "layer_sizes": [X.shape[1], HIDDEN],
                "chunk_rows": CHUNK_ROWS,
                "calls": len(chunks) - 1,
                "repeats": repeats,
                "ms_per_call_ours": 1e3 * ours,
                "ms_per_call_sklearn": 1e3 * theirs,
                "ratio": ours / theirs,
                "target_ratio": TARGET_RATIO,
                "runs": times,
            }
        )
    return rows


STREAM_COLUMNS = [
    ("task", lambda r: r["task"]),
    ("dtype", lambda r: r["dtype"]),
    ("threads", lambda r: r["threads"]),
    ("ours ms/call", lambda r: f"{r['ms_per_call_ours']:.3f}"),
    ("sklearn ms/call", lambda r: f"{r['ms_per_call_sklearn']:.3f}"),
    ("ours/sklearn", lambda r: f"{r['ratio']:.2f}"),
    ("target", lambda r: f"≤ {r['target_ratio']:.2f}"),
]
