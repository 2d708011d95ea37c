"""Every example runs to the end on tiny settings and draws its figures."""

import ast
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"

# script -> the figures it must write
FIGURES = {
    "plot_quickstart.py": ["quickstart_digits.png", "quickstart_regression.png"],
    "plot_grid_search_heatmap.py": ["grid_search_heatmap.png"],
    "plot_loss_curves.py": ["loss_curves.png"],
    "plot_training_curves.py": ["training_curves.png"],
    "plot_decision_boundary.py": ["decision_boundary.png"],
    "plot_sigmoid_output_regression.py": ["sigmoid_output_regression.png"],
    "seed_network.py": ["seed_network_loss.png"],
    "seed_network_trace.py": ["seed_network_trace.png"],
    "plot_vanishing_gradients.py": ["vanishing_gradients.png"],
    "gradient_check.py": ["gradient_check.png"],
    "out_of_core_partial_fit.py": ["out_of_core.png"],
    "distributed_grid_search.py": [],
    "dask_lbfgs.py": ["dask_lbfgs.png"],
    "save_and_serve.py": [],
}
# what a successful run says on its way (each script also asserts it)
MESSAGES = {
    "seed_network.py": "W2 after partial_fit == W2 − α ∂L/∂W2: True",
    "seed_network_trace.py": "trace matches the seed formulas: True",
    "distributed_grid_search.py": "same results as the serial search: True",
    "dask_lbfgs.py": "same model as in memory: True",
    "plot_sigmoid_output_regression.py": "fit on raw targets: ValueError",
    "save_and_serve.py": "partial_fit after loading continues identically: True",
}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_every_example_is_run_here():
    scripts = {path.name for path in EXAMPLES.glob("*.py")} - {"_setup.py"}
    assert scripts == set(FIGURES)


@pytest.mark.parametrize("script", sorted(FIGURES))
def test_example_has_a_title_docstring_and_cells(script):
    source = (EXAMPLES / script).read_text(encoding="utf-8")
    docstring = ast.get_docstring(ast.parse(source))
    assert docstring is not None and docstring.splitlines()[0].strip()
    assert "SKBACKPROP_EXAMPLES_QUICK" in source
    assert source.count("# %%") >= 3


def run_example(script, output):
    env = {
        **os.environ,
        "SKBACKPROP_EXAMPLES_QUICK": "1",
        "MPLBACKEND": "Agg",
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])
        ),
    }
    command = [
        sys.executable,
        "-W",
        "error::FutureWarning",
        str(EXAMPLES / script),
        "--output",
        str(output),
    ]
    return subprocess.run(
        command,
        cwd=output,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Run every example once, two at a time (most of each run is imports)."""
    outputs = {script: tmp_path_factory.mktemp(script[:-3]) for script in FIGURES}
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {
            script: pool.submit(run_example, script, output)
            for script, output in outputs.items()
        }
        return {
            script: (future.result(), outputs[script])
            for script, future in futures.items()
        }


@pytest.mark.parametrize("script", sorted(FIGURES))
def test_example_runs_quickly_and_writes_its_figures(runs, script):
    completed, output = runs[script]
    assert completed.returncode == 0, completed.stderr[-3000:]
    written = sorted(path.name for path in output.glob("*.png"))
    assert written == sorted(FIGURES[script])
    for name in written:
        assert (output / name).read_bytes()[:8] == PNG_SIGNATURE
    if script in MESSAGES:
        assert MESSAGES[script] in completed.stdout
