"""The command line and settings shared by the example scripts.

Every example is run as ``python examples/NAME.py [--output DIR]``, which puts this
folder on ``sys.path``: the scripts import ``example_setup`` from here.
"""

import argparse
import os
import warnings
from pathlib import Path

from sklearn.exceptions import ConvergenceWarning

DEFAULT_OUTPUT = Path(__file__).resolve().parent / "output"


def example_setup(
    description,
    *,
    ignore_convergence="quick",
    figures=True,
    arguments=None,
):
    """Prepare the run of an example and read its command line.

    Parameters
    ----------
    description : str
        The ``--help`` description of the script.
    ignore_convergence : {"quick", "always", "never"}, default="quick"
        When to silence ``ConvergenceWarning``: only on the tiny settings of
        ``SKBACKPROP_EXAMPLES_QUICK=1`` (which stop before convergence by design),
        on every run (small epoch budgets are the point of the script), or never.
    figures : bool, default=True
        Whether the script draws figures: if so, matplotlib switches to the Agg
        backend and the ``--output`` folder is created.
    arguments : dict of str to dict, default=None
        Further options of the script, ``{"--flag": {keyword arguments of
        ArgumentParser.add_argument}}``; their values are in the returned ``args``.

    Returns
    -------
    quick : bool
        Whether ``SKBACKPROP_EXAMPLES_QUICK=1`` asks for a fast run.
    output : pathlib.Path
        The folder the figures are written to (default ``examples/output``).
    args : argparse.Namespace
        Every option of the command line; unknown ones are ignored.
    """
    if ignore_convergence not in ("quick", "always", "never"):
        raise ValueError(f"unknown ignore_convergence={ignore_convergence!r}")
    if figures:
        import matplotlib.pyplot as plt

        plt.switch_backend("Agg")
    quick = os.environ.get("SKBACKPROP_EXAMPLES_QUICK") == "1"
    if ignore_convergence == "always" or (ignore_convergence == "quick" and quick):
        warnings.simplefilter("ignore", ConvergenceWarning)
    parser = argparse.ArgumentParser(description=description)
    for flag, options in (arguments or {}).items():
        parser.add_argument(flag, **options)
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help=None
        if figures
        else "accepted as by the other examples; this one draws no figure",
    )
    args = parser.parse_known_args()[0]
    if figures:
        args.output.mkdir(parents=True, exist_ok=True)
    return quick, args.output, args
