"""``python -m skbackprop bench``: the benchmark's options, its loop over workloads,
dtypes and threadings, and its tables (see ``harness`` for what one run measures)."""

import argparse
import json
import sys
import warnings
from contextlib import nullcontext

from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_info, threadpool_limits

from .harness import run_workload
from .report import (
    TIME_COLUMNS,
    WORK_COLUMNS,
    format_table,
    machine_info,
    print_machine,
    profile_fit,
)
from .streaming import NAME as STREAMING
from .streaming import STREAM_COLUMNS, run_partial_fit
from .workloads import DTYPES, WORKLOADS

THREADINGS = ("one", "default")


def _default_threading():
    counts = sorted({i["num_threads"] for i in threadpool_info()})
    return f"the machine's default threading ({'/'.join(map(str, counts))} threads)"


def _parser():
    parser = argparse.ArgumentParser(
        prog="python -m skbackprop bench",
        description="Time skbackprop against scikit-learn's MLPClassifier/"
        "MLPRegressor doing the same work, at one BLAS thread and at the machine's "
        "default threading.",
    )
    parser.add_argument(
        "--workloads",
        nargs="+",
        choices=[*WORKLOADS, STREAMING],
        default=[*WORKLOADS, STREAMING],
        metavar="NAME",
        help=f"subset of {', '.join([*WORKLOADS, STREAMING])} (default: all)",
    )
    parser.add_argument("--dtypes", nargs="+", choices=DTYPES, default=list(DTYPES))
    parser.add_argument(
        "--threads",
        nargs="+",
        choices=THREADINGS,
        default=list(THREADINGS),
        help="BLAS threading: 'one' thread, the machine's 'default' (default: both)",
    )
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
        "--namespace",
        metavar="NAME",
        help="time ours computing in this array API namespace (e.g. torch) on "
        "--device against scikit-learn's MLP on the CPU, at the workload's batch "
        "and at batch 2048, with ours on the namespace's CPU for reference "
        "(workloads digits, classification, regression, diabetes-gd)",
    )
    parser.add_argument(
        "--device",
        default="cpu",
        help="the --namespace device, e.g. cuda (default: cpu)",
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
    print_machine(info, args.markdown)
    if args.namespace is not None:
        from . import device  # imports the namespace's library only when asked

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            rows = device.run(args, WORKLOADS, info)
        _write_json(args, info, rows, [])
        return 0
    rows, stream_rows = [], []
    datasets = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for threads in args.threads:
            limit = threadpool_limits(limits=1) if threads == "one" else nullcontext()
            with limit:
                if STREAMING in args.workloads:
                    for dtype in args.dtypes:
                        stream_rows += run_partial_fit(
                            dtype,
                            repeats=args.repeats,
                            quick=args.quick,
                            threads=threads,
                        )
                        print(
                            f"done: {STREAMING} {dtype} ({threads} threading)",
                            file=sys.stderr,
                            flush=True,
                        )
                for name in (n for n in args.workloads if n != STREAMING):
                    w = WORKLOADS[name]
                    if w.load not in datasets:
                        datasets[w.load] = w.load(args.quick)
                    data = datasets[w.load]
                    for dtype in (d for d in args.dtypes if d in w.dtypes):
                        row = run_workload(
                            w,
                            data,
                            dtype,
                            repeats=args.repeats,
                            quick=args.quick,
                            threads=threads,
                        )
                        rows.append(row)
                        print(
                            f"done: {name} {dtype} ({threads} threading)",
                            file=sys.stderr,
                            flush=True,
                        )
                        if args.profile:
                            profile_fit(w, data, dtype, quick=args.quick)
    for threads in args.threads if rows else ():
        table = [r for r in rows if r["threads"] == threads]
        how = "one BLAS thread" if threads == "one" else _default_threading()
        print(
            f"\nMedian fit time over {args.repeats} repeat(s), {how}; GFLOP/s "
            "counts the matrix products only.\n"
        )
        print(format_table(table, TIME_COLUMNS, markdown=args.markdown))
    if rows:
        print(
            "\nFinal training loss and held-out score (accuracy or R²): means over "
            "the repeats' seeds; peak memory of a one-epoch fit (tracemalloc).\n"
        )
        print(format_table(rows, WORK_COLUMNS, markdown=args.markdown))
    if stream_rows:
        print(
            f"\n{STREAMING}: time of one partial_fit call on a 200-row chunk (mean "
            f"over the calls after the first, median over {args.repeats} "
            f"repeat(s)); default threading is {_default_threading()}.\n"
        )
        print(format_table(stream_rows, STREAM_COLUMNS, markdown=args.markdown))
    _write_json(args, info, rows, stream_rows)
    return 0


def _write_json(args, info, rows, stream_rows):
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {
                    "machine": info,
                    "args": vars(args),
                    "results": rows,
                    "partial_fit": stream_rows,
                },
                f,
                indent=1,
            )
