"""In-place vector updates through numpy alone.

Training calls one BLAS library only, numpy's, for its matrix products. BLAS's
``axpy`` would do y ← y + a·x in one pass, but the only one at hand is scipy's,
which bundles a second OpenBLAS with its own pool of threads: called between
numpy's products it fights numpy's pool, and an epoch became 20× slower at the
default threading. numpy does the update in two passes through a reused buffer.
"""

from ._xp import array_ops


def add_scaled_inplace(y, a, x, scratch=None):
    """y ← y + a·x in place; ``scratch`` (x's shape and dtype) avoids allocating.

    ``a`` is a Python float, so a float32 ``y`` stays float32 (outside numpy it may
    be a 0-d array of y's namespace and dtype). Returns ``y``.
    """
    y += array_ops(x).multiply(x, a, out=scratch)
    return y
