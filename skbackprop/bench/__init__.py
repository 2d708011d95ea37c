"""The benchmark harness: skbackprop against scikit-learn's MLP doing the same work.

Tooling, not library: ``python -m skbackprop bench`` and
``benchmarks/bench_vs_sklearn.py`` run ``main``; ``harness`` times one workload,
``workloads`` defines the problems, ``pair`` builds the two estimators, ``floor``
the bare-numpy floor and ``report`` the tables.
"""

from .command import main
from .floor import NUMPY_FLOOR_SOLVERS, gemm_flops, numpy_floor_seconds
from .pair import estimator_pair
from .workloads import DTYPES, WORKLOADS

__all__ = [
    "DTYPES",
    "NUMPY_FLOOR_SOLVERS",
    "WORKLOADS",
    "estimator_pair",
    "gemm_flops",
    "main",
    "numpy_floor_seconds",
]
