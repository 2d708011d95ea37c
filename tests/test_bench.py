"""Smoke tests of the side-by-side benchmark harness (``python -m skbackprop bench``).

They run the harness on tiny data (``--quick``) and check what it reports, never how
fast anything ran.
"""

import io
import json
from contextlib import redirect_stdout

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_less, assert_equal

from skbackprop import SoftmaxMLPClassifier
from skbackprop.bench import (
    DTYPES,
    NUMPY_FLOOR_SOLVERS,
    WORKLOADS,
    estimator_pair,
    gemm_flops,
    main,
    numpy_floor_seconds,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """Every workload in both dtypes, two quick repeats: (results, printed text)."""
    path = tmp_path_factory.mktemp("bench") / "results.json"
    out = io.StringIO()
    with redirect_stdout(out):
        status = main(["--quick", "--repeats", "2", "--json", str(path)])
    assert_equal(status, 0)
    return json.loads(path.read_text())["results"], out.getvalue()


def test_quick_bench_covers_every_workload_dtype_and_threading(quick_run):
    results, _ = quick_run
    assert_equal(
        sorted((r["workload"], r["dtype"], r["threads"]) for r in results),
        sorted(
            (name, d, threads)
            for name, w in WORKLOADS.items()
            for d in w.dtypes
            for threads in ("one", "default")
        ),
    )
    assert set(DTYPES) == {d for w in WORKLOADS.values() for d in w.dtypes}
    targets = {(r["workload"], r["dtype"], r["threads"]): r for r in results}
    for (name, dtype, threads), r in targets.items():
        w = WORKLOADS[name]
        expected = (
            w.target_ratio[DTYPES.index(dtype)]
            if threads == "one"
            else w.target_default
        )
        assert_equal(r["target_ratio"], expected)
        assert_equal(r["input"], "DataFrame" if w.dataframe else "ndarray")


def test_both_libraries_train_for_exactly_the_requested_epochs(quick_run):
    results, _ = quick_run
    for r in results:
        assert_equal(r["n_iter_ours"], r["epochs"])
        assert_equal(r["n_iter_sklearn"], r["epochs"])
        for lib in ("ours", "sklearn"):
            assert_equal(r["runs"][lib]["n_iter"], [r["epochs"]] * r["repeats"])


def test_reported_ratio_and_gflops_follow_from_the_median_times(quick_run):
    results, _ = quick_run
    for r in results:
        for lib in ("ours", "sklearn"):
            assert_allclose(r[f"time_{lib}"], np.median(r["runs"][lib]["time"]))
        assert_allclose(r["time_floor"], np.median(r["floor_runs"]))
        assert_allclose(r["ratio"], r["time_ours"] / r["time_sklearn"])
        assert_allclose(r["ours_over_floor"], r["time_ours"] / r["time_floor"])
        if r["solver"] not in NUMPY_FLOOR_SOLVERS:
            assert r["time_numpy_floor"] is None and r["numpy_floor_runs"] == []
            assert r["ours_over_numpy_floor"] is None
            continue
        assert_allclose(r["time_numpy_floor"], np.median(r["numpy_floor_runs"]))
        assert_equal(len(r["numpy_floor_runs"]), r["repeats"])
        assert_allclose(
            r["numpy_floor_over_floor"], r["time_numpy_floor"] / r["time_floor"]
        )
        assert_allclose(
            r["ours_over_numpy_floor"], r["time_ours"] / r["time_numpy_floor"]
        )


def test_gflops_follow_from_the_median_times(quick_run):
    results, _ = quick_run
    for r in results:
        assert_allclose(r["gflops_ours"] * r["time_ours"], r["gflop"])
        assert_allclose(r["gflops_floor"] * r["time_floor"], r["gflop"])


def test_both_libraries_draw_the_same_initial_weights(quick_run):
    # except for two classes: scikit-learn's one logistic unit is not comparable
    # with our two-unit softmax
    results, _ = quick_run
    for r in results:
        if r["layer_sizes"][-1] == 2:
            assert r["init_identical"] is None and r["same_path_rel_diff"] is None
        else:
            assert r["init_identical"], (r["workload"], r["init_max_abs_diff"])


def test_same_minibatch_order_gives_the_same_losses_up_to_rounding(quick_run):
    # From the same random_state our loss curve must be scikit-learn's to rounding:
    # the same initialisation, minibatch order, gradients and optimizer steps.
    results, _ = quick_run
    for r in results:
        if r["layer_sizes"][-1] == 2:
            continue  # binary: other output layers (checked just above)
        tol = 1e-10 if r["dtype"] == "float64" else 1e-4
        assert_array_less(r["same_path_rel_diff"], tol, err_msg=r["workload"])


def test_peak_memory_is_measured_for_the_large_workloads_only(quick_run):
    results, _ = quick_run
    for r in results:
        large = WORKLOADS[r["workload"]].large
        for lib in ("ours", "sklearn"):
            peak = r[f"peak_mib_{lib}"]
            assert (peak is not None and peak > 0) if large else peak is None


def test_printed_tables_one_per_threading_then_the_work_done(quick_run):
    results, out = quick_run
    lines = out.splitlines()
    time_headers = [i for i, ln in enumerate(lines) if "ratio" in ln.split("  ")]
    assert_equal(len(time_headers), 2)
    assert "one BLAS thread" in lines[time_headers[0] - 2]
    assert "default threading" in lines[time_headers[1] - 2]
    for header, threads in zip(time_headers, ("one", "default"), strict=True):
        expected = [r for r in results if r["threads"] == threads]
        rows = lines[header + 1 : header + 1 + len(expected)]
        assert_equal(
            [ln.split()[:3] for ln in rows],
            [[r["workload"], r["dtype"], r["input"]] for r in expected],
        )
    header = next(i for i, ln in enumerate(lines) if "loss ours" in ln.split("  "))
    rows = lines[header + 1 : header + 1 + len(results)]
    assert_equal(
        [ln.split()[:3] for ln in rows],
        [[r["workload"], r["dtype"], r["threads"]] for r in results],
    )


def test_markdown_output_is_two_tables_with_separator_rows(capsys):
    argv = "--quick --repeats 1 --workloads diabetes-gd --dtypes float32 --markdown"
    status = main(argv.split())
    assert_equal(status, 0)
    lines = capsys.readouterr().out.splitlines()
    headers = [i for i, ln in enumerate(lines) if ln.startswith("| workload |")]
    assert_equal(len(headers), 3)  # one BLAS thread, default threading, the work
    for i in headers:
        assert lines[i + 1].startswith("|---|---|--:|")
        assert lines[i + 2].startswith("| diabetes-gd | float32 |")
        assert_equal(lines[i + 2].count("|"), lines[i].count("|"))


@pytest.mark.parametrize("activation, solver", [("tanh", "adam"), ("relu", "sgd")])
def test_numpy_floor_refuses_what_it_does_not_model(activation, solver):
    X = np.zeros((4, 3))
    with pytest.raises(ValueError, match="no numpy floor"):
        numpy_floor_seconds(X, (3, 2, 1), 2, 1, activation, solver)


def test_gemm_flops_counts_forward_weight_gradient_and_hidden_delta_products():
    # layers 3 → 4 → 2: forward 2·(12 + 8), ∇W 2·(12 + 8), δ_1 = δ_2 W_2ᵀ 2·8
    assert_equal(gemm_flops((3, 4, 2), n_samples=5, epochs=2), (40 + 40 + 16) * 10)


def test_gd_is_paired_with_full_batch_constant_rate_sgd_without_momentum():
    pair = estimator_pair(
        WORKLOADS["diabetes-gd"], n_train=331, epochs=7, random_state=3
    )
    ours, theirs = pair["ours"].get_params(), pair["sklearn"].get_params()
    assert_equal(ours["solver"], "gd")
    expected = {
        "solver": "sgd",
        "batch_size": 331,
        "momentum": 0.0,
        "nesterovs_momentum": False,
        "learning_rate": "constant",
        "learning_rate_init": ours["learning_rate"],
        "activation": "logistic",
        "hidden_layer_sizes": (ours["hidden_size"],),
        "max_iter": 7,
        "tol": 0.0,
        "n_iter_no_change": 7,
        "early_stopping": False,
        "shuffle": True,
        "alpha": ours["alpha"],
        "random_state": 3,
    }
    assert_equal({k: theirs[k] for k in expected}, expected)


@pytest.mark.parametrize("name", ["first-fit", "first-fit-lbfgs"])
def test_first_fit_pairs_both_libraries_at_their_defaults(name):
    # every parameter at its default but those that fix the amount of work, and
    # those only solver="sgd" reads
    pair = estimator_pair(WORKLOADS[name], n_train=100, epochs=3, random_state=7)
    fixed = {"max_iter": 3, "tol": 0.0, "n_iter_no_change": 3, "random_state": 7}
    if name.endswith("lbfgs"):
        fixed["solver"] = "lbfgs"
    for estimator in pair.values():
        defaults = type(estimator)(**fixed).get_params()
        differing = {
            key
            for key, value in estimator.get_params().items()
            if value != defaults[key]
        }
        assert differing <= {"momentum", "nesterovs_momentum"}, differing


def test_dataframe_workloads_hand_the_estimators_a_dataframe(monkeypatch):
    seen = []
    fit = SoftmaxMLPClassifier.fit

    def recording_fit(self, X, y, **kwargs):
        seen.append(type(X).__name__)
        return fit(self, X, y, **kwargs)

    monkeypatch.setattr(SoftmaxMLPClassifier, "fit", recording_fit)
    argv = "--quick --repeats 1 --workloads first-fit --dtypes float32 --threads one"
    with redirect_stdout(io.StringIO()):
        assert_equal(main(argv.split()), 0)
    assert "DataFrame" in seen


def test_unknown_workload_name_is_rejected():
    with pytest.raises(SystemExit) as exc:
        main(["--workloads", "mnist"])
    assert_equal(exc.value.code, 2)


def test_device_option_times_ours_in_torch_against_sklearn_on_the_cpu(tmp_path):
    # the harness of the GPU run, here on torch's CPU: three timings per row, and
    # ours in torch trains scikit-learn's model (the same draws and batches)
    path = tmp_path / "device.json"
    with redirect_stdout(io.StringIO()) as out:
        status = main(
            [
                "--namespace",
                "torch",
                "--device",
                "cpu",
                "--quick",
                "--repeats",
                "1",
                "--workloads",
                "diabetes-gd",
                "--dtypes",
                "float64",
                "--json",
                str(path),
            ]
        )
    assert_equal(status, 0)
    rows = json.loads(path.read_text())["results"]
    assert [(r["workload"], r["batch"]) for r in rows] == [
        ("diabetes-gd", "auto"),
        ("diabetes-gd", 2048),
    ]
    for r in rows:
        assert r["sklearn_cpu_s"] > 0 and r["ours_device_s"] > 0
        assert r["ours_namespace_cpu_s"] > 0
        assert_allclose(r["loss_device"], r["loss_sklearn"], rtol=1e-9)
    assert "ours on device (s)" in out.getvalue()


def test_partial_fit_workload_reports_time_per_call_side_by_side(tmp_path):
    path = tmp_path / "stream.json"
    out = io.StringIO()
    argv = ["--quick", "--repeats", "1", "--workloads", "partial-fit"]
    with redirect_stdout(out):
        assert_equal(main([*argv, "--json", str(path)]), 0)
    saved = json.loads(path.read_text())
    assert_equal(saved["results"], [])
    rows = saved["partial_fit"]
    assert_equal(
        sorted((r["task"], r["dtype"], r["threads"]) for r in rows),
        sorted(
            (task, dtype, threads)
            for task in ("regression", "classification")
            for dtype in DTYPES
            for threads in ("one", "default")
        ),
    )
    for r in rows:
        assert r["ms_per_call_ours"] > 0 and r["ms_per_call_sklearn"] > 0
        ratio = r["ms_per_call_ours"] / r["ms_per_call_sklearn"]
        assert abs(r["ratio"] / ratio - 1) < 1e-12
        assert_equal(r["chunk_rows"], 200)
    assert "ours ms/call" in out.getvalue()
