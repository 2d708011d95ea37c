"""Activation functions, each beside its derivative.

Every derivative is written through the activation's *output* ``z = g(a)``, which
is what the backward pass has at hand: ``σ'(a) = z(1 − z)``, ``tanh'(a) = 1 − z²``,
``relu'(a) = [z > 0]``. Functions ending in ``_inplace`` overwrite their first
argument and return it; they take the layer's bias ``b`` (or None) and compute
g(a + b), so that the float64 sigmoid can fold the bias add into its negation. The
``*_derivative`` functions return g'(a) from z, written into ``out`` when given, so
the training loop reuses its memory from batch to batch (the identity's is the
scalar 1).
"""

import numpy as np


def _add_bias_inplace(a, bias):
    """a += b, unless there is no bias."""
    if bias is not None:
        a += bias
    return a


def sigmoid_inplace(a, bias=None):
    """σ(a + b) = 1 / (1 + e^(−a − b)), in place, in the faster form for the dtype."""
    if a.dtype == np.float32:
        # ½·tanh(½(a + b)) + ½: float32 tanh is faster than exp plus a division
        _add_bias_inplace(a, bias)
        a *= 0.5
        np.tanh(a, out=a)
        a *= 0.5
        a += 0.5
        return a
    if bias is None:
        np.negative(a, out=a)
    else:
        np.subtract(-bias, a, out=a)  # −(a + b) in one pass, not two
    with np.errstate(over="ignore"):  # e^(−a) = inf for a < −709 gives σ = 0 exactly
        np.exp(a, out=a)
    a += 1.0
    return np.reciprocal(a, out=a)


def sigmoid_derivative(z, out=None):
    """σ'(a) = z(1 − z)."""
    s = np.subtract(1.0, z, out=out)  # (1 − z)
    s *= z
    return s


def tanh_inplace(a, bias=None):
    """tanh(a + b)."""
    return np.tanh(_add_bias_inplace(a, bias), out=a)


def tanh_derivative(z, out=None):
    """tanh'(a) = 1 − z²."""
    s = np.multiply(z, z, out=out)
    np.subtract(1.0, s, out=s)
    return s


def relu_inplace(a, bias=None):
    """max(a + b, 0)."""
    return np.maximum(_add_bias_inplace(a, bias), 0.0, out=a)


def relu_derivative(z, out=None):
    """relu'(a) = [a > 0], which is sign(z) since z = relu(a) ≥ 0."""
    return np.sign(z, out=out)  # a float mask: no boolean temporary


def identity_inplace(a, bias=None):
    """a + b."""
    return _add_bias_inplace(a, bias)


def identity_derivative(z, out=None):
    """identity'(a) = 1: the scalar, which broadcasts (``out`` is left alone)."""
    return 1.0


def log_softmax(a):
    """log softmax(a) row-wise, as a − max(a) − log Σ exp(a − max(a)) (no overflow)."""
    shifted = a - a.max(axis=1, keepdims=True)
    shifted -= np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return shifted


def softmax(a):
    """softmax(a)_j = exp(a_j) / Σ_i exp(a_i), row-wise, shifted by max(a)."""
    p = a - a.max(axis=1, keepdims=True)
    np.exp(p, out=p)
    p /= p.sum(axis=1, keepdims=True)
    return p


ACTIVATIONS = {
    "sigmoid": (sigmoid_inplace, sigmoid_derivative),
    "tanh": (tanh_inplace, tanh_derivative),
    "relu": (relu_inplace, relu_derivative),
    "identity": (identity_inplace, identity_derivative),
}
