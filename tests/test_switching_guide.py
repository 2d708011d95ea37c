"""docs/guide/switching.md: its Python blocks run as written, in order, and the
claims they print hold."""

import re
import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "guide" / "switching.md"


def test_switching_guide_snippets_run_and_match_scikit_learn(capsys):
    blocks = re.findall(r"```python\n(.*?)```", GUIDE.read_text("utf-8"), re.S)
    assert len(blocks) == 2
    namespace = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for block in blocks:
            exec(compile(block, str(GUIDE), "exec"), namespace)
    ours, theirs = namespace["ours"], namespace["theirs"]
    assert ours.out_activation_ == theirs.out_activation_ == "logistic"
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-10)
    assert "logistic" in capsys.readouterr().out
