"""docs/guide/gpu.md: its Python blocks run as written, in order, on this machine
(torch on the CPU when there is no GPU), and what they claim holds."""

import re
import warnings
from pathlib import Path

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "guide" / "gpu.md"


def test_gpu_guide_snippets_run(capsys):
    blocks = re.findall(r"```python\n(.*?)```", GUIDE.read_text("utf-8"), re.S)
    assert len(blocks) == 2
    namespace = {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            for block in blocks:
                exec(compile(block, str(GUIDE), "exec"), namespace)
    finally:
        sklearn.set_config(array_api_dispatch=False)
    out = capsys.readouterr().out
    assert out.startswith("Tensor ")
    assert isinstance(namespace["clf_cpu"].coefs_[0], np.ndarray)
    assert "ndarray" in out
