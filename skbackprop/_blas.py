"""The one vector operation numpy has no single call for: y ← y + a·x.

``y += a * x`` in numpy writes ``a * x`` into a temporary and then adds it: two
passes over memory. BLAS's ``axpy`` does it in one, and every optimizer step and
every L2 gradient is an axpy over all the weights. scipy, already needed for
L-BFGS-B, exposes BLAS's axpy for float32 and float64.
"""

import numpy as np
from scipy.linalg import blas

_AXPY = {np.dtype(np.float64): blas.daxpy, np.dtype(np.float32): blas.saxpy}


def axpy(a, x, y):
    """y ← y + a·x in place. ``a`` is a Python float. Returns ``y``.

    BLAS does it for contiguous, writeable float buffers of the same shape (every
    buffer of the training loop); anything else takes numpy's route.
    """
    routine = _AXPY.get(y.dtype)
    ours = (
        y.flags.c_contiguous and y.flags.writeable and y.size > 0 and x.shape == y.shape
    )
    if routine is None or not ours:
        # numpy's two passes, with numpy's errors for a read-only or mismatched y
        # (BLAS would write through a read-only flag, or update only len(x) values)
        y += a * x
        return y
    y_flat = y if y.ndim == 1 else y.reshape(-1)  # a view, since y is contiguous
    out = routine(x if x.ndim == 1 else x.reshape(-1), y_flat, a=a)
    if out is not y_flat:  # BLAS worked on a copy (never for our buffers): write back
        y_flat[...] = out
    return y
