"""What the benchmark prints: result tables, the machine, a profile of one fit.

``TIME_COLUMNS`` and ``WORK_COLUMNS`` are the two tables ``format_table`` lays out as
text or Markdown; ``machine_info`` and ``print_machine`` describe the CPU, library
versions and BLAS; ``profile_fit`` profiles one fit of our estimator.
"""

import cProfile
import os
import platform
import pstats
import sys

import numpy as np
import sklearn
from threadpoolctl import threadpool_info

from .pair import estimator_pair


def _fmt(value, spec):
    return "—" if value is None else format(value, spec)


def _same_init(r):
    if r["init_identical"] is None:
        return "— (binary)"  # a two-unit softmax beside one logistic unit
    return "yes" if r["init_identical"] else f"no ({r['init_max_abs_diff']:.1e})"


TIME_COLUMNS = [
    ("workload", lambda r: r["workload"]),
    ("dtype", lambda r: r["dtype"]),
    ("input", lambda r: r["input"]),
    ("epochs", lambda r: str(r["epochs"])),
    ("ours s", lambda r: f"{r['time_ours']:.3f}"),
    ("sklearn s", lambda r: f"{r['time_sklearn']:.3f}"),
    ("ratio", lambda r: f"{r['ratio']:.2f}"),
    ("target", lambda r: f"≤ {r['target_ratio']:.2f}"),
    ("floor s", lambda r: f"{r['time_floor']:.3f}"),
    ("ours/floor", lambda r: f"{r['ours_over_floor']:.2f}"),
    ("numpy floor s", lambda r: _fmt(r["time_numpy_floor"], ".3f")),
    ("numpy floor/floor", lambda r: _fmt(r["numpy_floor_over_floor"], ".2f")),
    ("ours/numpy floor", lambda r: _fmt(r["ours_over_numpy_floor"], ".2f")),
    ("GFLOP/s ours", lambda r: f"{r['gflops_ours']:.1f}"),
    ("GFLOP/s sklearn", lambda r: f"{r['gflops_sklearn']:.1f}"),
    ("GFLOP/s floor", lambda r: f"{r['gflops_floor']:.1f}"),
]
WORK_COLUMNS = [
    ("workload", lambda r: r["workload"]),
    ("dtype", lambda r: r["dtype"]),
    ("threads", lambda r: r["threads"]),
    ("loss ours", lambda r: f"{r['loss_ours']:.5g}"),
    ("loss sklearn", lambda r: f"{r['loss_sklearn']:.5g}"),
    ("loss diff", lambda r: f"{100 * r['loss_rel_diff']:+.2f} %"),
    ("score ours", lambda r: f"{r['score_ours']:.4f}"),
    ("score sklearn", lambda r: f"{r['score_sklearn']:.4f}"),
    ("same init", lambda r: _same_init(r)),
    ("same path", lambda r: _fmt(r["same_path_rel_diff"], ".0e")),
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


def print_machine(info, markdown):
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
