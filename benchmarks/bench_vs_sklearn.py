"""Time skbackprop against scikit-learn's MLP doing the same work.

Run ``python benchmarks/bench_vs_sklearn.py --help`` for the options; README.md in
this folder says what is measured. The same benchmark is ``python -m skbackprop bench``.
"""

import sys

from skbackprop.bench import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
