"""``python -m skbackprop``: the demo table, ``gradcheck``, the ``bench`` hand-off."""

import contextlib
import dataclasses
import io
import os
import re
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_array_less, assert_equal

import skbackprop.cli as cli
import skbackprop.cli.demo as demo_cli
import skbackprop.cli.gradcheck as gradcheck_cli
from skbackprop import check_gradients

LIBRARIES = ("skbackprop", "sklearn")

ROW = re.compile(
    r"^(?P<dataset>digits|diabetes)\s+(?P<metric>accuracy|R²)\s+"
    r"(?P<library>skbackprop|sklearn) (?P<model>\w+)\s+"
    r"(?P<mean>-?\d+\.\d+) ± (?P<std>\d+\.\d+)\s+(?P<time>\d+\.\d+) s\s+"
    r"(?P<epochs>\d+)\s+(?P<gradcheck>\S+)$"
)
REPORT_MAX = re.compile(r"^max relative error (\S+),", re.MULTILINE)


def table_rows(text):
    """{(dataset, library): parsed row} for every row of the demo table; the
    second network on a dataset (diabetes' general regressor) is keyed
    (dataset, library, 2)."""
    rows = {}
    for line in text.splitlines():
        match = ROW.match(line)
        if match:
            key = (match["dataset"], match["library"])
            rows[(*key, 2) if key in rows else key] = match.groupdict()
    return rows


def run_main(capsys, argv):
    """Run the command line in this process: (exit code, stdout)."""
    code = cli.main(argv)
    return code, capsys.readouterr().out


def _failing_check_gradients(*args, **kwargs):
    """The real report, with its maximum error replaced by one that fails."""
    report = check_gradients(*args, **kwargs)
    return dataclasses.replace(report, max_relative_error=1e-3)


@pytest.fixture(scope="module")
def quick_demo():
    """(exit code, stdout) of ``main(["--quick"])``, run once for the module."""
    with contextlib.redirect_stdout(io.StringIO()) as out:
        code = cli.main(["--quick"])
    return code, out.getvalue()


def test_quick_demo_has_one_row_per_estimator_and_library(quick_demo):
    code, out = quick_demo
    rows = table_rows(out)
    assert_equal(code, 0)
    assert_equal(
        {key: (row["metric"], row["model"]) for key, row in rows.items()},
        {
            ("digits", "skbackprop"): ("accuracy", "SoftmaxMLPClassifier"),
            ("digits", "sklearn"): ("accuracy", "MLPClassifier"),
            ("digits", "skbackprop", 2): ("accuracy", "BackpropMLPClassifier"),
            ("digits", "sklearn", 2): ("accuracy", "MLPClassifier"),
            ("diabetes", "skbackprop"): ("R²", "TwoLayerSigmoidRegressor"),
            ("diabetes", "sklearn"): ("R²", "MLPRegressor"),
            ("diabetes", "skbackprop", 2): ("R²", "BackpropMLPRegressor"),
            ("diabetes", "sklearn", 2): ("R²", "MLPRegressor"),
        },
    )
    # the header states the shared configuration
    for setting in ("3-fold", "StandardScaler", "solver='adam'", "max_iter=20"):
        assert setting in out


def test_quick_demo_scores_are_sensible_and_match_sklearn(quick_demo):
    _, out = quick_demo
    rows = table_rows(out)
    accuracy = np.array([float(rows["digits", lib]["mean"]) for lib in LIBRARIES])
    r2 = np.array([float(rows["diabetes", lib]["mean"]) for lib in LIBRARIES])
    r2_general = [float(rows["diabetes", lib, 2]["mean"]) for lib in LIBRARIES]
    assert_array_less(0.9, accuracy)
    assert_array_less(accuracy, 1.0)
    assert_array_less(0.3, [*r2, *r2_general])
    assert_array_less([*r2, *r2_general], 1.0)
    # the same network trained the same way scores about the same in both libraries
    assert_array_less(np.ptp(accuracy), 0.03)
    assert_array_less(np.ptp(r2), 0.05)
    assert_array_less(np.ptp(r2_general), 0.05)
    assert_equal({row["epochs"] for row in rows.values()}, {"20"})
    # the drop-in classifier with the same random_state is scikit-learn's model
    drop_in = [rows["digits", lib, 2] for lib in LIBRARIES]
    assert_equal(drop_in[0]["mean"], drop_in[1]["mean"])
    assert_equal(drop_in[0]["std"], drop_in[1]["std"])


def test_quick_demo_gradient_check_errors_are_below_1e_6(quick_demo):
    _, out = quick_demo
    rows = table_rows(out)
    keys = [
        ("digits", "skbackprop"),
        ("digits", "skbackprop", 2),
        ("diabetes", "skbackprop"),
    ]
    keys.append(("diabetes", "skbackprop", 2))
    errors = [float(rows[key]["gradcheck"]) for key in keys]
    assert_array_less(errors, [1e-6] * len(keys))
    assert_array_less([0.0] * len(keys), errors)  # a real comparison, not a placeholder
    assert_equal(
        [rows[dataset, "sklearn"]["gradcheck"] for dataset in ("digits", "diabetes")],
        ["n/a", "n/a"],
    )
    assert "gradient check: passed" in out


def test_demo_options_work_after_the_demo_subcommand(capsys):
    code, out = run_main(capsys, ["demo", "--quick", "--cv", "2"])
    assert_equal(code, 0)
    assert "CV score (2-fold)" in out
    assert_equal(len(table_rows(out)), 8)


def test_demo_exits_with_1_when_a_gradient_check_fails(capsys, monkeypatch):
    monkeypatch.setattr(demo_cli, "check_gradients", _failing_check_gradients)
    code, out = run_main(capsys, ["--quick", "--cv", "2"])
    assert_equal(code, 1)
    assert "gradient check: FAILED" in out


def test_gradcheck_prints_a_passing_report_per_case(capsys):
    code, out = run_main(capsys, ["gradcheck", "--samples", "15"])
    errors = [float(value) for value in REPORT_MAX.findall(out)]
    assert_equal(code, 0)
    assert_equal(len(errors), 8)
    assert_array_less(errors, np.full(8, 1e-6))
    for activation in ("'relu'", "'tanh'", "'sigmoid'"):
        assert f"activation={activation}" in out
    assert "output_activation='sigmoid', fit_intercept=False" in out
    assert "sample_weight" in out
    assert "BackpropMLPRegressor(hidden_layer_sizes=(8, 6), activation='gelu'" in out
    assert "loss='poisson'" in out
    # full reports: a line per parameter array (6 for each three-layer network, 4
    # for each two-layer regressor with biases, 2 for the bias-free one) and a
    # summary line per check
    assert_equal(out.count("relative error "), 5 * 6 + 2 * 4 + 2 + 8)
    assert out.rstrip().endswith("all checks passed")


def test_gradcheck_exits_with_1_when_a_check_fails(capsys, monkeypatch):
    monkeypatch.setattr(gradcheck_cli, "check_gradients", _failing_check_gradients)
    code, out = run_main(capsys, ["gradcheck", "--samples", "10"])
    assert_equal(code, 1)
    assert_equal(out.count("-> FAILED"), 8)
    assert "8 check(s) FAILED" in out


def test_bench_passes_every_remaining_argument_to_bench_main(monkeypatch):
    received = []
    fake = types.ModuleType("skbackprop.bench")
    fake.main = lambda argv: received.append(argv) or 3
    monkeypatch.setitem(sys.modules, "skbackprop.bench", fake)
    assert_equal(cli.main(["bench", "--quick", "--help", "x"]), 3)
    assert_equal(received, [["--quick", "--help", "x"]])


def test_cv_below_two_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--cv", "1"])
    assert_equal(exit_info.value.code, 2)
    assert "--cv must be at least 2" in capsys.readouterr().err


def test_python_dash_m_quick_exits_0_without_convergence_warnings():
    completed = subprocess.run(
        [sys.executable, "-m", "skbackprop", "--quick"],
        cwd=Path(__file__).resolve().parents[1],
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    assert_equal(completed.returncode, 0)
    assert_equal(len(table_rows(completed.stdout)), 8)
    assert "gradient check: passed" in completed.stdout
    assert "ConvergenceWarning" not in completed.stderr
