"""Activation functions, each beside its derivative.

Functions ending in ``_inplace`` overwrite their first argument ``a`` and return
it; they take the layer's bias ``b`` (or None) and compute g(a + b), so that the
float64 sigmoid can fold the bias add into its negation. Every ``*_derivative``
takes ``(a, z, out=None)``, the pre-activation a and the output z = g(a), and
returns g'(a), written into ``out`` when given so the training loop reuses its
memory from batch to batch (the identity's is the scalar 1).

Most derivatives are written through the output z alone, which the backward pass
has at hand (the forward pass overwrites a with z): ``σ'(a) = z(1 − z)``,
``tanh'(a) = 1 − z²``, ``relu'(a) = [z > 0]``, ``elu'(a) = min(z + 1, 1)``,
``softplus'(a) = 1 − e^(−z)``; they ignore ``a``, which the network then does not
keep. gelu and silu need a itself (``needs_preactivation``). Every function is
finite, without floating-point warnings, for |a| up to 1e6 in float32 and float64.

Each function reads its array library off ``a`` (``_xp.array_ops``): numpy's
functions with ``out=`` for numpy arrays, their allocating forms for any other
array API namespace. So every line uses the array a function returns.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ._xp import array_ops, special_ops


@dataclass(frozen=True)
class LayerActivation:
    """What the network calls for a hidden activation g, built-in or user-defined."""

    name: str
    activate_inplace: Callable  # (a, bias) → g(a + b), in a's memory when it can
    derivative: Callable  # (a, z, out) → g'(a)
    needs_preactivation: bool  # whether derivative reads a (else a may be None)
    init_factor: float = 6.0  # Glorot's f in sqrt(f / (fan_in + fan_out))


def _add_bias_inplace(a, bias):
    """a += b, unless there is no bias."""
    if bias is not None:
        a += bias
    return a


def sigmoid_inplace(a, bias=None):
    """σ(a + b) = 1 / (1 + e^(−a − b)), in place, in the faster form for the dtype."""
    ops = array_ops(a)
    if ops is np and a.dtype == np.float32:
        # ½·tanh(½(a + b)) + ½: float32 tanh is faster than exp plus a division
        _add_bias_inplace(a, bias)
        a *= 0.5
        np.tanh(a, out=a)
        a *= 0.5
        a += 0.5
        return a
    if bias is None:
        a = ops.negative(a, out=a)
    else:
        a = ops.subtract(-bias, a, out=a)  # −(a + b) in one pass, not two
    with np.errstate(over="ignore"):  # e^(−a) = inf for a < −709 gives σ = 0 exactly
        a = ops.exp(a, out=a)
    a += 1.0
    return ops.reciprocal(a, out=a)


def sigmoid_derivative(a, z, out=None):
    """σ'(a) = z(1 − z)."""
    s = array_ops(z).subtract(1.0, z, out=out)  # (1 − z)
    s *= z
    return s


def tanh_inplace(a, bias=None):
    """tanh(a + b)."""
    return array_ops(a).tanh(_add_bias_inplace(a, bias), out=a)


def tanh_derivative(a, z, out=None):
    """tanh'(a) = 1 − z²."""
    ops = array_ops(z)
    s = ops.multiply(z, z, out=out)
    return ops.subtract(1.0, s, out=s)


def relu_inplace(a, bias=None):
    """max(a + b, 0)."""
    return array_ops(a).maximum(_add_bias_inplace(a, bias), 0.0, out=a)


def relu_derivative(a, z, out=None):
    """relu'(a) = [a > 0], which is sign(z) since z = relu(a) ≥ 0."""
    return array_ops(z).sign(z, out=out)  # a float mask: no boolean temporary


def identity_inplace(a, bias=None):
    """a + b."""
    return _add_bias_inplace(a, bias)


def identity_derivative(a, z, out=None):
    """identity'(a) = 1: the scalar, which broadcasts (``out`` is left alone)."""
    return 1.0


LEAKY_SLOPE = 0.01  # leaky_relu's slope below 0, scikit-learn's and PyTorch's


def leaky_relu_inplace(a, bias=None):
    """max(a + b, 0.01(a + b)): the larger of the two is a above 0, 0.01a below."""
    a = _add_bias_inplace(a, bias)
    return array_ops(a).maximum(a, LEAKY_SLOPE * a, out=a)


def leaky_relu_derivative(a, z, out=None):
    """leaky_relu'(a) = 1 if a > 0 else 0.01; z has a's sign, so [a > 0] = [z > 0]."""
    ops = array_ops(z)
    if out is None and ops is np:
        out = np.empty_like(z)
    s = ops.greater(z, 0.0, out=out)  # [z > 0] as 0.0 / 1.0 in z's dtype
    s *= 1.0 - LEAKY_SLOPE
    s += LEAKY_SLOPE
    return s


def elu_inplace(a, bias=None):
    """elu(a + b) = a if a > 0 else e^a − 1, as max(a, 0) + expm1(min(a, 0)).

    expm1 of a non-positive number never overflows, and is accurate near 0.
    """
    ops = array_ops(a)
    a = _add_bias_inplace(a, bias)
    below = ops.minimum(a, 0.0)
    below = ops.expm1(below, out=below)
    a = ops.maximum(a, 0.0, out=a)
    a += below
    return a


def elu_derivative(a, z, out=None):
    """elu'(a) = 1 if a > 0 else e^a = z + 1; both are min(z + 1, 1)."""
    ops = array_ops(z)
    s = ops.add(z, 1.0, out=out)
    return ops.minimum(s, 1.0, out=s)


def softplus_inplace(a, bias=None):
    """softplus(a + b) = log(1 + e^a) = logaddexp(0, a), which never overflows."""
    return array_ops(a).logaddexp(0.0, _add_bias_inplace(a, bias), out=a)


def softplus_derivative(a, z, out=None):
    """softplus'(a) = σ(a) = 1 − e^(−z), since e^z = 1 + e^a; as −expm1(−z)."""
    ops = array_ops(z)
    s = ops.negative(z, out=out)
    s = ops.expm1(s, out=s)
    return ops.negative(s, out=s)


_INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)  # numpy's float64: float32 is scaled in it


def gelu_inplace(a, bias=None):
    """gelu(a + b) = a·Φ(a), Φ the standard normal CDF (scipy's ndtr)."""
    a = _add_bias_inplace(a, bias)
    a *= special_ops(a).ndtr(a)
    return a


def gelu_derivative(a, z, out=None):
    """gelu'(a) = Φ(a) + a·φ(a), φ(a) = e^(−a²/2) / sqrt(2π) the normal density."""
    ops = special_ops(a)
    s = ops.multiply(a, a, out=out)
    s *= -0.5
    s = ops.exp(s, out=s)  # e^(−a²/2) ∈ [0, 1]: underflows to 0, never overflows
    s *= a
    s *= _INV_SQRT_2PI if ops.xp is np else float(_INV_SQRT_2PI)  # a·φ(a)
    s += ops.ndtr(a)
    return s


def silu_inplace(a, bias=None):
    """silu(a + b) = a·σ(a), σ from scipy's expit (finite for every a)."""
    a = _add_bias_inplace(a, bias)
    a *= special_ops(a).expit(a)
    return a


def silu_derivative(a, z, out=None):
    """silu'(a) = σ + aσ(1 − σ) = σ + z(1 − σ), with σ = σ(a) and z = aσ."""
    ops = special_ops(a)
    sigma = ops.expit(a)
    s = ops.subtract(1.0, sigma, out=out)
    s *= z
    s += sigma
    return s


def _builtin(name, activate, derivative, *, needs_preactivation=False, factor=6.0):
    return LayerActivation(name, activate, derivative, needs_preactivation, factor)


_SIGMOID = _builtin("sigmoid", sigmoid_inplace, sigmoid_derivative, factor=2.0)
ACTIVATIONS = {
    "identity": _builtin("identity", identity_inplace, identity_derivative),
    "sigmoid": _SIGMOID,
    "logistic": _SIGMOID,  # scikit-learn's name for it
    "tanh": _builtin("tanh", tanh_inplace, tanh_derivative),
    "relu": _builtin("relu", relu_inplace, relu_derivative),
    "leaky_relu": _builtin("leaky_relu", leaky_relu_inplace, leaky_relu_derivative),
    "elu": _builtin("elu", elu_inplace, elu_derivative),
    "softplus": _builtin("softplus", softplus_inplace, softplus_derivative),
    "gelu": _builtin("gelu", gelu_inplace, gelu_derivative, needs_preactivation=True),
    "silu": _builtin("silu", silu_inplace, silu_derivative, needs_preactivation=True),
}


def exp_inplace(a):
    """e^a for the Poisson output, a clipped at log(largest finite) first: a huge
    a gives the dtype's largest number instead of an overflow to inf."""
    ops = array_ops(a)
    if ops is np:
        np.minimum(a, _LOG_MAX[a.dtype], out=a)
        return np.exp(a, out=a)
    return ops.exp(ops.minimum(a, _log_max_of(ops.xp, a.dtype)))


# log of the largest finite number, rounded down so that its exp stays finite
_LOG_MAX = {
    np.dtype(t): np.nextafter(np.log(np.finfo(t).max), t(0))
    for t in (np.float32, np.float64)
}


def _log_max_of(xp, dtype):
    """``_LOG_MAX`` for a namespace's float dtype."""
    return float(_LOG_MAX[np.dtype(np.float32 if dtype == xp.float32 else np.float64)])


def log_softmax(a):
    """log softmax(a) row-wise, as a − max(a) − log Σ exp(a − max(a)) (no overflow)."""
    xp = array_ops(a).xp if not isinstance(a, np.ndarray) else np
    shifted = a - xp.max(a, axis=1, keepdims=True)
    shifted -= xp.log(xp.sum(xp.exp(shifted), axis=1, keepdims=True))
    return shifted


def softmax(a):
    """softmax(a)_j = exp(a_j) / Σ_i exp(a_i), row-wise, shifted by max(a)."""
    ops = array_ops(a)
    xp = np if ops is np else ops.xp
    p = a - xp.max(a, axis=1, keepdims=True)
    p = ops.exp(p, out=p)
    p /= xp.sum(p, axis=1, keepdims=True)
    return p
