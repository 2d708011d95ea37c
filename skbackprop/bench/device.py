"""``python -m skbackprop bench --namespace torch --device cuda``: ours computing in
an array API namespace on a device (a GPU) against scikit-learn's MLP on the CPU.

For each workload (default: the first four, W1–W4) and dtype, at the workload's
batch size and at batch 2048, the median fit time of: scikit-learn's MLP on numpy
(CPU), ours on ``--namespace``/``--device``, and ours on that namespace's CPU for
reference (on a CPU the namespace is no speed lever; numpy's in-place path is the
fast one there). The data is moved to the device once, before the timed fits; a
fit ends with the epoch's loss read back, so its time includes the device's work.
"""

import gc
import importlib
import statistics
import time

import sklearn
from sklearn.externals.array_api_compat import array_namespace

from .pair import estimator_pair

DEVICE_WORKLOADS = ("digits", "classification", "regression", "diabetes-gd")
LARGE_BATCH = 2048
COLUMNS = (
    ("workload", "workload", "{}"),
    ("dtype", "dtype", "{}"),
    ("batch", "batch", "{}"),
    ("sklearn_cpu_s", "sklearn CPU (s)", "{:.3f}"),
    ("ours_device_s", "ours on device (s)", "{:.3f}"),
    ("ours_namespace_cpu_s", "ours, namespace on CPU (s)", "{:.3f}"),
    ("speedup", "sklearn / ours on device", "{:.2f}"),
    ("loss_sklearn", "loss sklearn", "{:.4f}"),
    ("loss_device", "loss on device", "{:.4f}"),
)


def namespace_and_devices(name, device):
    """The array API namespace ``name`` (compat-wrapped) and (device, its CPU)."""
    module = importlib.import_module(name)
    xp = array_namespace(module.asarray(1.0))
    return xp, device, ("cpu" if name in ("torch", "cupy") else None)


def _median_fit_seconds(make, X, y, repeats, *, dispatch):
    times, estimator = [], None
    for _ in range(repeats):
        estimator = make()
        gc.collect()
        with sklearn.config_context(array_api_dispatch=dispatch):
            start = time.perf_counter()
            estimator.fit(X, y)
            times.append(time.perf_counter() - start)
    return statistics.median(times), estimator


def run_device_workload(w, data, dtype, batch, xp, device, cpu, *, repeats, quick):
    """One row: the three timings of workload ``w`` at ``batch`` ("auto" or 2048)."""
    X_train, _, y_train, _ = data
    X_train = X_train.astype(dtype)
    if w.task == "regression":
        y_train = y_train.astype(dtype)
    epochs = w.quick_epochs if quick else w.epochs
    n_train = X_train.shape[0]

    def make(library):
        def build():
            pair = estimator_pair(w, n_train=n_train, epochs=epochs, random_state=0)
            estimator = pair[library]
            if batch == LARGE_BATCH and w.solver not in ("gd", "lbfgs"):
                estimator.set_params(batch_size=min(LARGE_BATCH, n_train))
            return estimator

        return build

    row = {"workload": w.name, "dtype": dtype, "batch": batch}
    seconds, theirs = _median_fit_seconds(
        make("sklearn"), X_train, y_train, repeats, dispatch=False
    )
    row["sklearn_cpu_s"], row["loss_sklearn"] = seconds, float(theirs.loss_)
    for key, where in (("ours_device_s", device), ("ours_namespace_cpu_s", cpu)):
        X_d = xp.asarray(X_train, device=where)
        y_d = xp.asarray(y_train, device=where)
        make("ours")().set_params(max_iter=1).fit(X_train[:64], y_train[:64])
        with sklearn.config_context(array_api_dispatch=True):  # warm the device up
            make("ours")().set_params(max_iter=1).fit(X_d, y_d)
        seconds, ours = _median_fit_seconds(
            make("ours"), X_d, y_d, repeats, dispatch=True
        )
        row[key] = seconds
        if key == "ours_device_s":
            row["loss_device"] = float(ours.loss_)
    row["speedup"] = row["sklearn_cpu_s"] / row["ours_device_s"]
    return row


def format_rows(rows):
    header = "| " + " | ".join(title for _, title, _ in COLUMNS) + " |"
    lines = [header, "|" + "---|" * len(COLUMNS)]
    for row in rows:
        cells = [fmt.format(row[key]) for key, _, fmt in COLUMNS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def run(args, workloads, info):
    """The device benchmark for the parsed ``args``; returns the rows."""
    xp, device, cpu = namespace_and_devices(args.namespace, args.device)
    names = [n for n in args.workloads if n in DEVICE_WORKLOADS] or list(
        DEVICE_WORKLOADS
    )
    rows = []
    for name in names:
        w = workloads[name]
        data = w.load(args.quick)
        for dtype in (d for d in args.dtypes if d in w.dtypes):
            for batch in (w.batch_size, LARGE_BATCH):
                rows.append(
                    run_device_workload(
                        w,
                        data,
                        dtype,
                        batch,
                        xp,
                        device,
                        cpu,
                        repeats=args.repeats,
                        quick=args.quick,
                    )
                )
    print(
        f"\nMedian fit time over {args.repeats} repeat(s): scikit-learn's MLP on "
        f"numpy (CPU), ours in {args.namespace} on {device!r}, and ours in "
        f"{args.namespace} on the CPU for reference.\n"
    )
    print(format_rows(rows))
    return rows
