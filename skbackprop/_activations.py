"""Activation functions, each beside its derivative.

Every derivative is written through the activation's *output* ``z = g(a)``, which
is what the backward pass has at hand: ``σ'(a) = z(1 − z)``, ``tanh'(a) = 1 − z²``,
``relu'(a) = [z > 0]``. Functions ending in ``_inplace`` overwrite their first
argument and return it; the backward ones take an optional ``scratch`` buffer of
``delta``'s shape, so the training loop reuses its memory from batch to batch.
"""

import numpy as np


def sigmoid_inplace(a):
    """σ(a) = 1 / (1 + e^(−a)), in place, in the faster form for the dtype."""
    if a.dtype == np.float32:
        # ½·tanh(½a) + ½: float32 tanh is faster than exp plus a division
        a *= 0.5
        np.tanh(a, out=a)
        a *= 0.5
        a += 0.5
        return a
    with np.errstate(over="ignore"):  # e^(−a) = inf for a < −709 gives σ = 0 exactly
        np.exp(np.negative(a, out=a), out=a)
    a += 1.0
    return np.reciprocal(a, out=a)


def sigmoid_backward_inplace(delta, z, scratch=None):
    """delta ⊙= σ'(a) = z(1 − z)."""
    s = np.subtract(1.0, z, out=scratch)  # (1 − z), in a reused buffer if given
    s *= z
    delta *= s
    return delta


def tanh_inplace(a):
    """tanh(a)."""
    return np.tanh(a, out=a)


def tanh_backward_inplace(delta, z, scratch=None):
    """delta ⊙= tanh'(a) = 1 − z²."""
    s = np.multiply(z, z, out=scratch)
    np.subtract(1.0, s, out=s)
    delta *= s
    return delta


def relu_inplace(a):
    """max(a, 0)."""
    return np.maximum(a, 0.0, out=a)


def relu_backward_inplace(delta, z, scratch=None):
    """delta ⊙= relu'(a) = [a > 0], which is sign(z) since z = relu(a) ≥ 0."""
    s = np.sign(z, out=scratch)  # a float mask: no boolean temporary
    delta *= s
    return delta


def identity_inplace(a):
    """a."""
    return a


def identity_backward_inplace(delta, z, scratch=None):
    """delta ⊙= 1."""
    return delta


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
    "sigmoid": (sigmoid_inplace, sigmoid_backward_inplace),
    "tanh": (tanh_inplace, tanh_backward_inplace),
    "relu": (relu_inplace, relu_backward_inplace),
    "identity": (identity_inplace, identity_backward_inplace),
}
