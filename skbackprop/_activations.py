"""Activation functions, each beside its derivative.

Every derivative is written through the activation's *output* ``z = g(a)``, which
is what the backward pass has at hand: ``σ'(a) = z(1 − z)``, ``tanh'(a) = 1 − z²``,
``relu'(a) = [z > 0]``. Functions ending in ``_inplace`` overwrite their first
argument and return it; the training loop uses them to reuse its buffers.
"""

import numpy as np


def sigmoid_inplace(a):
    """σ(a) = 1 / (1 + e^(−a)), computed as ½·tanh(½a) + ½ (never overflows)."""
    a *= 0.5
    np.tanh(a, out=a)
    a *= 0.5
    a += 0.5
    return a


def sigmoid_backward_inplace(delta, z):
    """delta ⊙= σ'(a) = z(1 − z)."""
    delta *= z
    delta -= delta * z  # δ·z − δ·z² = δ·z(1 − z) without a (1 − z) buffer
    return delta


def tanh_inplace(a):
    """tanh(a)."""
    return np.tanh(a, out=a)


def tanh_backward_inplace(delta, z):
    """delta ⊙= tanh'(a) = 1 − z²."""
    delta -= delta * z * z
    return delta


def relu_inplace(a):
    """max(a, 0)."""
    return np.maximum(a, 0, out=a)


def relu_backward_inplace(delta, z):
    """delta ⊙= relu'(a) = [z > 0] (the subgradient 0 is taken at a = 0)."""
    delta[z <= 0] = 0
    return delta


def identity_inplace(a):
    """a."""
    return a


def identity_backward_inplace(delta, z):
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
