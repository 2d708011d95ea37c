"""``python -m skbackprop``: skbackprop beside scikit-learn's MLP; gradient checks.

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
    The side-by-side benchmarks of ``skbackprop._bench`` (its own options follow).

The exit code is 0, or 1 when a gradient check exceeds ``GRADIENT_TOLERANCE``.
"""

import argparse
import importlib
import sys
import warnings
from dataclasses import dataclass

import numpy as np
import sklearn
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_diabetes, load_digits, load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold, StratifiedKFold, cross_validate
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler, minmax_scale, scale

from . import (
    SoftmaxMLPClassifier,
    TwoLayerSigmoidRegressor,
    __version__,
    check_gradients,
)

# Below this max relative error, float64 backprop agrees with finite differences.
GRADIENT_TOLERANCE = 1e-6
# How the gradcheck subcommand trains each model before checking it.
GRADCHECK_FIT = {"solver": "adam", "learning_rate": 1e-2, "max_iter": 30, "alpha": 1e-2}


@dataclass(frozen=True)
class Task:
    """One dataset and the network both libraries fit on it."""

    dataset: str  # "digits" (classification) or "diabetes" (regression)
    hidden: int
    activation: str  # skbackprop's name; scikit-learn calls sigmoid "logistic"
    learning_rate: float
    max_iter: int

    @property
    def is_classification(self):
        return self.dataset == "digits"

    @property
    def metric(self):
        return "accuracy" if self.is_classification else "R²"

    def load(self):
        loader = load_digits if self.is_classification else load_diabetes
        return loader(return_X_y=True)


@dataclass(frozen=True)
class DemoSettings:
    cv: int
    gradcheck_samples: int
    tasks: tuple
    alpha: float = 1e-4
    batch_size: int = 200
    tol: float = 1e-4
    n_iter_no_change: int = 10


DEMO = DemoSettings(
    cv=5,
    gradcheck_samples=30,
    tasks=(
        Task("digits", 64, "relu", 1e-3, 200),
        Task("diabetes", 32, "sigmoid", 1e-2, 100),
    ),
)
QUICK = DemoSettings(
    cv=3,
    gradcheck_samples=10,
    tasks=(
        Task("digits", 16, "relu", 1e-2, 20),
        Task("diabetes", 16, "sigmoid", 1e-2, 20),
    ),
)


def _models(task, settings, random_state):
    """(skbackprop model, scikit-learn model), each scaled inside a pipeline."""
    shared = {
        "solver": "adam",
        "alpha": settings.alpha,
        "batch_size": settings.batch_size,
        "tol": settings.tol,
        "n_iter_no_change": settings.n_iter_no_change,
        "max_iter": task.max_iter,
        "random_state": random_state,
    }
    theirs = {
        "hidden_layer_sizes": (task.hidden,),
        "activation": "logistic" if task.activation == "sigmoid" else task.activation,
        "learning_rate_init": task.learning_rate,
        **shared,
    }
    if task.is_classification:
        ours = SoftmaxMLPClassifier(
            hidden_layer_sizes=(task.hidden,),
            activation=task.activation,
            learning_rate=task.learning_rate,
            **shared,
        )
        return (
            make_pipeline(StandardScaler(), ours),
            make_pipeline(StandardScaler(), MLPClassifier(**theirs)),
        )
    ours = TwoLayerSigmoidRegressor(
        hidden_size=task.hidden, learning_rate=task.learning_rate, **shared
    )
    return tuple(
        TransformedTargetRegressor(
            make_pipeline(StandardScaler(), model), transformer=StandardScaler()
        )
        for model in (ours, MLPRegressor(**theirs))
    )


def _network(fitted):
    """The fitted network inside a (target-transformed) pipeline."""
    pipeline = getattr(fitted, "regressor_", fitted)
    return pipeline[-1]


def _gradient_check_error(fitted, X, y):
    """check_gradients' max relative error on (X, y), in the network's own inputs."""
    if isinstance(fitted, TransformedTargetRegressor):
        y = fitted.transformer_.transform(y.reshape(-1, 1)).ravel()
        fitted = fitted.regressor_
    X = fitted[:-1].transform(X)
    return check_gradients(fitted[-1], X, y).max_relative_error


def _evaluate(task, X, y, settings, cv, random_state):
    """One table row per library, and the skbackprop model's gradient-check error."""
    splitter_type = StratifiedKFold if task.is_classification else KFold
    splitter = splitter_type(n_splits=cv, shuffle=True, random_state=random_state)
    rows, error = [], None
    for library, model in zip(
        ("skbackprop", "sklearn"), _models(task, settings, random_state), strict=True
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            result = cross_validate(
                model, X, y, cv=splitter, return_estimator=True, return_indices=True
            )
        scores, fitted = result["test_score"], result["estimator"]
        cell = "n/a"
        if library == "skbackprop":
            # held-out samples of the first fold, where the loss is not yet ~0
            held_out = result["indices"]["test"][0][: settings.gradcheck_samples]
            error = _gradient_check_error(fitted[0], X[held_out], y[held_out])
            cell = f"{error:.1e}"
        rows.append(
            [
                task.dataset,
                task.metric,
                f"{library} {type(_network(fitted[0])).__name__}",
                f"{scores.mean():.3f} ± {scores.std():.3f}",
                f"{np.median(result['fit_time']):.2f} s",
                f"{np.median([_network(est).n_iter_ for est in fitted]):g}",
                cell,
            ]
        )
    return rows, error


def _format_table(header, rows):
    """Columns padded to their widest cell, numbers (from the 4th column) right."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = [
            cell.ljust(width) if i < 3 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _describe(task, X, y):
    if task.is_classification:
        data, output = f", {len(np.unique(y))} classes", "softmax"
    else:
        data, output = (
            ", target standardised too (TransformedTargetRegressor)",
            "identity",
        )
    return (
        f"  {task.dataset:<9} {X.shape[0]} samples × {X.shape[1]} features{data}\n"
        f"  {'':<9} hidden ({task.hidden},) {task.activation}, {output} output, "
        f"learning_rate={task.learning_rate:g}, max_iter={task.max_iter}"
    )


def run_demo(settings, cv, random_state):
    """Print the side-by-side table; return 1 if a gradient check fails, else 0."""
    data = [task.load() for task in settings.tasks]
    print(
        f"skbackprop {__version__} beside scikit-learn {sklearn.__version__} "
        f"(numpy {np.__version__}): {cv}-fold cross-validation,\n"
        "shuffled splits. Both libraries: StandardScaler -> network in a Pipeline,\n"
        f"solver='adam', alpha={settings.alpha:g}, batch_size={settings.batch_size}, "
        f"tol={settings.tol:g}, n_iter_no_change={settings.n_iter_no_change},\n"
        f"random_state={random_state}; max_iter caps the epochs of this demo "
        "(ConvergenceWarning silenced)."
    )
    for task, (X, y) in zip(settings.tasks, data, strict=True):
        print(_describe(task, X, y))
    header = ["dataset", "metric", "model", f"CV score ({cv}-fold)"]
    header += ["fit time", "epochs", "grad check"]
    rows, errors = [], []
    for task, (X, y) in zip(settings.tasks, data, strict=True):
        task_rows, error = _evaluate(task, X, y, settings, cv, random_state)
        rows += task_rows
        errors.append(error)
    print(f"\n{_format_table(header, rows)}\n")
    print(
        "CV score: mean ± std over the folds. fit time: median per fold. "
        "epochs: median n_iter_.\n"
        "grad check: max relative error of check_gradients, first fold's "
        f"model, {settings.gradcheck_samples} held-out samples\n"
        f"(below {GRADIENT_TOLERANCE:g}: the backprop gradients agree with finite "
        "differences)."
    )
    passed = max(errors) < GRADIENT_TOLERANCE
    print(f"gradient check: {'passed' if passed else 'FAILED'}")
    return 0 if passed else 1


def _gradcheck_cases(n_samples, random_state):
    """(label, unfitted estimator, X, y, sample_weight) for each check."""
    rng = np.random.RandomState(random_state)
    X, y = load_iris(return_X_y=True)
    rows = rng.permutation(len(y))[:n_samples]
    X_c, y_c = scale(X[rows]), y[rows]
    X, y = load_diabetes(return_X_y=True)
    rows = rng.permutation(len(y))[:n_samples]
    X_r, y_r = scale(X[rows]), y[rows]
    fit = {**GRADCHECK_FIT, "random_state": random_state}

    for activation in ("relu", "tanh", "sigmoid"):
        clf = SoftmaxMLPClassifier(
            hidden_layer_sizes=(8, 6), activation=activation, **fit
        )
        label = f"SoftmaxMLPClassifier(hidden_layer_sizes=(8, 6), {activation=})"
        yield f"{label}, iris", clf, X_c, y_c, None
    label = "TwoLayerSigmoidRegressor(hidden_size=8), diabetes (standardised y)"
    reg = TwoLayerSigmoidRegressor(hidden_size=8, **fit)
    yield label, reg, X_r, scale(y_r), None
    weights = rng.uniform(0.5, 2.0, len(y_r))
    yield f"{label}, sample_weight ~ U(0.5, 2)", reg, X_r, scale(y_r), weights
    seeds = TwoLayerSigmoidRegressor(
        hidden_size=8, output_activation="sigmoid", fit_intercept=False, **fit
    )
    label = (
        "TwoLayerSigmoidRegressor(hidden_size=8, output_activation='sigmoid', "
        "fit_intercept=False)\n(the seeds' bias-free network), diabetes (y in [0, 1])"
    )
    yield label, seeds, X_r, minmax_scale(y_r), None


def run_gradcheck(n_samples, random_state):
    """Print each check's full report; return 1 if one fails, else 0."""
    print(
        "check_gradients: the backprop gradients against central finite "
        f"differences (float64,\neps=1e-6) on {n_samples} samples, after "
        f"{GRADCHECK_FIT['max_iter']} {GRADCHECK_FIT['solver']} epochs on them "
        f"(alpha={GRADCHECK_FIT['alpha']:g}); a check passes\nbelow "
        f"{GRADIENT_TOLERANCE:g} max relative error."
    )
    failed = 0
    for label, estimator, X, y, sample_weight in _gradcheck_cases(
        n_samples, random_state
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            estimator.fit(X, y, sample_weight=sample_weight)
        report = check_gradients(estimator, X, y, sample_weight=sample_weight)
        passed = report.max_relative_error < GRADIENT_TOLERANCE
        failed += not passed
        print(f"\n{label}\n{report}\n-> {'passed' if passed else 'FAILED'}")
    print(f"\n{'all checks passed' if not failed else f'{failed} check(s) FAILED'}")
    return 1 if failed else 0


def run_bench(argv):
    """Hand the arguments to the benchmarks (imported only when asked for)."""
    bench = importlib.import_module("skbackprop._bench")
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


if __name__ == "__main__":
    sys.exit(main())
