"""The package shows its shape: the library's modules at the top, the benchmark
harness and the command line in their own subpackages, each shipped."""

import subprocess
import sys
from pathlib import Path

import skbackprop

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = Path(skbackprop.__file__).parent


def test_top_level_holds_the_library_and_tooling_lives_in_subpackages():
    modules = {path.stem for path in PACKAGE.glob("*.py")}
    assert not {m for m in modules if m.startswith(("_bench", "_cli"))}
    subpackages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert subpackages == {"bench", "cli"}
    assert {"harness", "workloads", "pair", "floor", "report", "command"} <= {
        path.stem for path in (PACKAGE / "bench").glob("*.py")
    }
    assert {"demo", "gradcheck"} <= {
        path.stem for path in (PACKAGE / "cli").glob("*.py")
    }


def test_every_subpackage_is_installed():
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert (
        'packages = ["skbackprop", "skbackprop.bench", "skbackprop.cli"]' in pyproject
    )
    assert 'skbackprop = "skbackprop.cli:main"' in pyproject


def test_importing_the_library_imports_no_tooling():
    code = (
        "import sys, skbackprop; "
        "assert not {'skbackprop.bench', 'skbackprop.cli', 'skbackprop.onnx'} "
        "& set(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
