"""Which array library the equations compute in.

The equations call numpy's functions with ``out=``: on numpy arrays they write into
the training loop's reused buffers. On any other array API namespace (torch, CuPy,
array-api-strict …) ``array_ops`` hands them ``AllocatingOps``: the same functions
under the same names, computed with the namespace's own functions into new arrays,
``out=`` ignored — so the equations use the value a function returns, never the
buffer they passed. One set of equations, two speeds (scikit-learn's
``_modify_in_place_if_numpy`` in the large).
"""

from functools import cache
from numbers import Real

import numpy as np
from scipy.special import expit, ndtr
from sklearn.externals.array_api_compat import array_namespace
from sklearn.externals.array_api_compat import device as array_device

__all__ = ["AllocatingOps", "array_device", "array_namespace", "array_ops"]


class AllocatingOps:
    """numpy's functions as the equations use them, for the namespace ``xp``."""

    def __init__(self, xp):
        self.xp = xp

    # arithmetic through the operators, which take Python scalars on either side
    def add(self, x, y, out=None):
        return x + y

    def subtract(self, x, y, out=None):
        return x - y

    def multiply(self, x, y, out=None):
        return x * y

    def divide(self, x, y, out=None):
        return x / y

    def matmul(self, x, y, out=None):
        return x @ y

    def negative(self, x, out=None):
        return -x

    def reciprocal(self, x, out=None):
        return 1.0 / x

    def exp(self, x, out=None):
        return self.xp.exp(x)

    def expm1(self, x, out=None):
        return self.xp.expm1(x)

    def log1p(self, x, out=None):
        return self.xp.log1p(x)

    def log(self, x, out=None):
        return self.xp.log(x)

    def tanh(self, x, out=None):
        return self.xp.tanh(x)

    def sqrt(self, x, out=None):
        return self.xp.sqrt(x)

    def sign(self, x, out=None):
        return self.xp.sign(x)

    def maximum(self, x, y, out=None):
        if isinstance(y, Real):
            return self.xp.clip(x, min=float(y))
        return self.xp.maximum(x, y)

    def minimum(self, x, y, out=None):
        if isinstance(y, Real):
            return self.xp.clip(x, max=float(y))
        return self.xp.minimum(x, y)

    def greater(self, x, y, out=None):
        """[x > y] as 0.0 / 1.0 in x's dtype."""
        return self.xp.astype(x > y, x.dtype)

    def logaddexp(self, x, y, out=None):
        if isinstance(x, Real):
            x = self.xp.full_like(y, float(x))
        return self.xp.logaddexp(x, y)

    def expit(self, x):
        """σ(x) = 1 / (1 + e^(−x)), as scikit-learn's ``_expit`` outside numpy."""
        return 1.0 / (1.0 + self.xp.exp(-x))

    def ndtr(self, x):
        """Φ(x), the standard normal CDF: the namespace's own where it has one
        (torch), else scipy's, which dispatches on the array API."""
        special = getattr(self.xp, "special", None)
        if special is not None and hasattr(special, "ndtr"):
            return special.ndtr(x)
        return ndtr(x)

    def zeros_like(self, x):
        return self.xp.zeros_like(x)

    def empty_like(self, x):
        return self.xp.empty_like(x)

    def ones(self, n, dtype):
        return self.xp.ones(n, dtype=dtype)


class _NumpyOps:
    """numpy itself, plus scipy's ``expit`` and ``ndtr``."""

    def __getattr__(self, name):
        return getattr(np, name)

    expit = staticmethod(expit)
    ndtr = staticmethod(ndtr)
    xp = np


NUMPY_OPS = _NumpyOps()


@cache
def _allocating_ops(xp):
    return AllocatingOps(xp)


def array_ops(a):
    """numpy (in place, ``out=``) for a numpy array, else the allocating forms
    in the array's own namespace."""
    if isinstance(a, np.ndarray):
        return np
    return _allocating_ops(array_namespace(a))


def numpy_dtype(dtype):
    """The numpy float dtype of a float dtype of any namespace."""
    if isinstance(dtype, np.dtype) or (
        isinstance(dtype, type) and issubclass(dtype, np.generic)
    ):
        return np.dtype(dtype)
    return np.dtype(np.float32 if "float32" in str(dtype) else np.float64)


def copy_array(a):
    """A copy of an array of any namespace."""
    if isinstance(a, np.ndarray):
        return a.copy()
    return array_namespace(a).asarray(a, copy=True)


def norm(a):
    """‖a‖ (Frobenius) as a Python float, for an array of any namespace."""
    if isinstance(a, np.ndarray):
        return float(np.linalg.norm(a))
    xp = array_namespace(a)
    return float(xp.sqrt(xp.sum(a * a)))


def special_ops(a):
    """Like ``array_ops``, with ``expit`` and ``ndtr`` for numpy too."""
    if isinstance(a, np.ndarray):
        return NUMPY_OPS
    return _allocating_ops(array_namespace(a))
