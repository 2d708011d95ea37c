"""Losses, each beside its gradient with respect to the network's output.

Notation (see ``_network``): ``a`` is the last layer's pre-activation (the seeds' O,
seed 003's a_L), ``ŷ = g_out(a)`` the prediction, ``w`` the sample weights (``None``
means all ones) and ``n = Σ w`` — with unit weights, the number of samples N.

Each ``*_and_delta`` function returns the loss and the *output delta* ∂L/∂a, the
start of the backward recursion. It may overwrite ``a``, which the forward pass no
longer needs.

On numpy arrays the loss is a Python float. In any other array API namespace
(``_xp``) it stays a 0-d array on the arrays' device, as does N: training reads a
batch's loss back only once per epoch, never once per batch.
"""

import math

import numpy as np

from ._activations import exp_inplace, sigmoid_inplace
from ._xp import array_ops


def _weighted_mean(values, w, n):
    """(1/N) Σ_i w_i · values_i as a Python float.

    Huge weights can overflow the products w_i · values_i where the mean itself is
    finite: then it is summed again over the factors w_i / N ≤ 1.
    """
    if not isinstance(values, np.ndarray):
        return _weighted_mean_on_device(values, w, n)
    if w is None:
        return float(values.sum()) / n
    with np.errstate(over="ignore"):  # caught just below
        mean = float(np.dot(w, values)) / n
    if not math.isfinite(mean):
        mean = float(np.dot(w / n, values))
    return mean


def _weighted_mean_on_device(values, w, n):
    """``_weighted_mean`` as a 0-d array of values' namespace, never read back."""
    xp = array_ops(values).xp
    if w is None:
        return xp.sum(values) / n
    mean = (w @ values) / n
    return xp.where(xp.isfinite(mean), mean, (w / n) @ values)


def _row_sums_of_squares(r):
    """Σ_j r_ij² per row, as an einsum on numpy."""
    if isinstance(r, np.ndarray):
        return np.einsum("ij,ij->i", r, r)
    return array_ops(r).xp.sum(r * r, axis=1)


def _scale(w, n):
    """The per-sample factor w_i / N as a column, or the scalar 1/N."""
    return 1.0 / n if w is None else (w / n)[:, None]


def squared_error(y, y_hat, w, n):
    """L = 1/(2N) Σ_i w_i Σ_j (y_ij − ŷ_ij)²   (seed 000 eq. 2, summed over outputs)."""
    r = y - y_hat
    return 0.5 * _weighted_mean(_row_sums_of_squares(r), w, n)


def cross_entropy(y, log_proba, w, n):
    """L = −(1/N) Σ_i w_i log ŷ_{i,l_i}, l_i the index of sample i's class."""
    if isinstance(log_proba, np.ndarray):
        picked = log_proba[np.arange(len(y)), y]
    else:
        picked = array_ops(log_proba).xp.sum(log_proba * _one_hot(y, log_proba), axis=1)
    return -_weighted_mean(picked, w, n)


def _one_hot(y, a):
    """e(l_i) as the rows of an array of a's shape, dtype and device."""
    xp = array_ops(a).xp
    classes = xp.arange(a.shape[1], device=a.device)
    return xp.astype(y[:, None] == classes[None, :], a.dtype)


def squared_error_and_delta(a, y, w, n, output_activation):
    """Squared error and ∂L/∂a for an identity (seed 002) or sigmoid (seed 000) output.

    identity: ŷ = a, so ∂L/∂a = ∂L/∂ŷ = (w_i/N)(ŷ − y).
    sigmoid:  ŷ = σ(a), so ∂L/∂a = (w_i/N)(ŷ − y) · ŷ(1 − ŷ)   (seed 000 eqs. 3 and 5).
    ``a`` is overwritten with the delta.
    """
    if output_activation == "sigmoid":
        a = y_hat = sigmoid_inplace(a)
        slope = y_hat * (1.0 - y_hat)  # σ'(a) through its output, before a changes
    residual = array_ops(a).subtract(a, y, out=a)  # ŷ − y
    if w is None and isinstance(residual, np.ndarray):
        flat = residual.reshape(-1)
        loss = 0.5 * float(np.dot(flat, flat)) / n
    else:
        loss = 0.5 * _weighted_mean(_row_sums_of_squares(residual), w, n)
    delta = residual
    if output_activation == "sigmoid":
        delta *= slope
    delta *= _scale(w, n)
    return loss, delta


# How far below the batch maximum a logit may lie for exp(a − max) to stay a normal
# number: 90 % of −log(smallest normal), 78 in float32 and 637 in float64.
_ONE_SHIFT_SPAN = {
    np.dtype(t): -0.9 * math.log(np.finfo(t).tiny) for t in (np.float32, np.float64)
}


def _shift_below_zero(a):
    """a −= a shift that makes every row's maximum ≤ 0 and keeps exp(a) normal.

    Row-wise, the shift is max_j a_ij. While the batch's logits span less than
    ``_ONE_SHIFT_SPAN``, the batch maximum serves every row just as well — no
    exp(a) underflows — and a scalar reduction costs a tenth of a row-wise one on a
    narrow (n_samples, n_classes) array.
    """
    top = float(a.max())  # Python floats: the span itself cannot overflow
    if top - float(a.min()) < _ONE_SHIFT_SPAN.get(a.dtype, 0.0):  # False for NaN, inf
        a -= top
    else:
        a -= a.max(axis=1, keepdims=True)
    return a


def cross_entropy_and_delta(a, y, w, n):
    """Softmax cross-entropy and ∂L/∂a for integer class indices ``y``.

    For the canonical softmax/cross-entropy pair the Jacobian of the softmax
    cancels the 1/ŷ_l of −log ŷ_l (seed 003): ∂L/∂a = (w_i/N)(ŷ − e(l)), where e(l)
    is the one-hot vector of the true class. ``a`` is overwritten with the delta.
    """
    if not isinstance(a, np.ndarray):
        return _cross_entropy_and_delta_on_device(a, y, w, n)
    n_rows, n_classes = a.shape
    true_class = np.arange(0, n_rows * n_classes, n_classes) + y  # a.flat index of a_l
    _shift_below_zero(a)  # softmax is shift-invariant; exp stays ≤ 1
    flat = a.reshape(-1)
    picked = flat[true_class]
    proba = np.exp(a, out=a)
    # Σ_j exp(a_j) per row as a matrix–vector product: faster than sum(axis=1)
    norm = proba @ np.ones(n_classes, a.dtype)
    picked -= np.log(norm)  # log ŷ_l = a_l − log Σ exp(a), never log(0)
    np.minimum(picked, 0.0, out=picked)  # log ŷ_l ≤ 0: a shared shift may round to +ε
    loss = -_weighted_mean(picked, w, n)
    scale = _scale(w, n)  # w_i / N: a column, or the scalar 1/N
    # normalise and weigh in one pass: ŷ · w_i/N = exp(a) · (w_i/N) / Σ exp(a)
    proba *= np.divide(scale, norm[:, np.newaxis], out=norm[:, np.newaxis])
    flat[true_class] -= scale if w is None else scale[:, 0]  # − (w_i/N) e(l)
    return loss, proba


def _cross_entropy_and_delta_on_device(a, y, w, n):
    """``cross_entropy_and_delta`` outside numpy: the same equations, each row
    shifted by its own maximum (no host read of the batch's span), the true class
    picked by a one-hot mask rather than flat indexing."""
    xp = array_ops(a).xp
    shifted = a - xp.max(a, axis=1, keepdims=True)
    proba = xp.exp(shifted)
    norm = xp.sum(proba, axis=1, keepdims=True)
    one_hot = _one_hot(y, a)
    picked = xp.sum(shifted * one_hot, axis=1) - xp.log(norm[:, 0])  # log ŷ_l
    picked = xp.clip(picked, max=0.0)
    loss = -_weighted_mean(picked, w, n)
    delta = (proba / norm - one_hot) * _scale(w, n)  # (w_i/N)(ŷ − e(l))
    return loss, delta


def poisson_and_delta(a, y, w, n):
    """Half Poisson deviance and ∂L/∂a for the exp output ŷ = e^a.

    L = (1/N) Σ_i w_i Σ_j (ŷ_ij − y_ij log ŷ_ij), the half deviance without the
    terms in y alone; with log ŷ = a it is computed as e^a − y·a, never log(ŷ).
    The canonical pair: ∂/∂a (e^a − y·a) = e^a − y, so ∂L/∂a = (w_i/N)(ŷ − y).
    ``a`` is overwritten with the delta.
    """
    ops = array_ops(a)
    y_log_y_hat = ops.multiply(y, a)  # y · log ŷ = y · a, before a changes
    y_hat = exp_inplace(a)
    difference = ops.subtract(y_hat, y_log_y_hat, out=y_log_y_hat)
    per_sample = (np if ops is np else ops.xp).sum(difference, axis=1)
    loss = _weighted_mean(per_sample, w, n)
    delta = ops.subtract(y_hat, y, out=y_hat)  # ŷ − y
    delta *= _scale(w, n)
    return loss, delta


def loss_and_output_delta(output_activation, a, y, w, n):
    """Dispatch to the loss that goes with the output activation: cross-entropy
    for softmax, Poisson for exp, squared error for identity and sigmoid."""
    if output_activation == "softmax":
        return cross_entropy_and_delta(a, y, w, n)
    if output_activation == "exp":
        return poisson_and_delta(a, y, w, n)
    return squared_error_and_delta(a, y, w, n, output_activation)
