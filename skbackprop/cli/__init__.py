"""The command line, ``python -m skbackprop``: skbackprop beside scikit-learn's MLP;
gradient checks; benchmarks.

Subcommands
-----------
demo (the default)
    Cross-validates ``SoftmaxMLPClassifier`` on digits and ``TwoLayerSigmoidRegressor``
    on diabetes, each beside scikit-learn's ``MLPClassifier`` / ``MLPRegressor`` with
    the same pipeline and settings, and prints one table: scores, median fit time per
    fold, epochs, and the gradient-check error of the fitted skbackprop models.
gradcheck
    Prints the full :func:`~skbackprop.check_gradients` report for both estimators on
    small data, for several activations and outputs.
bench [args...]
    The side-by-side benchmarks of ``skbackprop.bench`` (its own options follow).

The exit code is 0, or 1 when a gradient check exceeds ``GRADIENT_TOLERANCE``.

This module parses the command line and dispatches; the demo is in ``cli.demo``, the
gradient checks and ``GRADIENT_TOLERANCE`` in ``cli.gradcheck``.
"""

import argparse
import importlib
import sys

from .demo import DEMO, QUICK, run_demo
from .gradcheck import run_gradcheck


def run_bench(argv):
    """Hand the arguments to the benchmarks (imported only when asked for)."""
    bench = importlib.import_module("skbackprop.bench")
    return bench.main(list(argv)) or 0


def _add_demo_options(parser, defaults):
    """The demo's options; ``defaults=False`` leaves the top-level values standing."""
    default = (lambda value: value) if defaults else (lambda value: argparse.SUPPRESS)
    parser.add_argument(
        "--cv", type=int, default=default(None), help="folds (default 5, quick 3)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        default=default(False),
        help="tiny networks and few epochs (a few seconds)",
    )
    parser.add_argument(
        "--random-state",
        type=int,
        default=default(0),
        help="seed of the splits and of both libraries' models (default 0)",
    )


def _build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m skbackprop",
        description="skbackprop beside scikit-learn's MLP, and its gradient checks.",
    )
    _add_demo_options(parser, defaults=True)
    commands = parser.add_subparsers(dest="command", metavar="{demo,gradcheck,bench}")
    demo = commands.add_parser(
        "demo", help="cross-validated comparison with scikit-learn (the default)"
    )
    _add_demo_options(demo, defaults=False)
    gradcheck = commands.add_parser(
        "gradcheck", help="full gradient-check reports on small data"
    )
    gradcheck.add_argument(
        "--samples", type=int, default=30, help="at least 10 (default 30)"
    )
    gradcheck.add_argument("--random-state", type=int, default=0, help="default 0")
    bench = commands.add_parser(
        "bench", add_help=False, help="benchmarks; run 'bench --help' for its options"
    )
    bench.add_argument("bench_args", nargs=argparse.REMAINDER)
    return parser


def main(argv=None):
    """Run the command line; return the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["bench"]:  # everything after it, --help included, is bench's
        return run_bench(argv[1:])
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.command == "bench":
        return run_bench(args.bench_args)
    if args.command == "gradcheck":
        if args.samples < 10:
            parser.error("--samples must be at least 10")
        return run_gradcheck(args.samples, args.random_state)
    settings = QUICK if args.quick else DEMO
    cv = settings.cv if args.cv is None else args.cv
    if cv < 2:
        parser.error("--cv must be at least 2")
    return run_demo(settings, cv, args.random_state)
