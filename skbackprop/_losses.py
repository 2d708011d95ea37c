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
from scipy.special import xlogy
from sklearn.utils._array_api import _xlogy

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


def _row_sums(values):
    """Σ_j values_ij per row."""
    if isinstance(values, np.ndarray):
        return values.sum(axis=1)
    return array_ops(values).xp.sum(values, axis=1)


def _xlogx(y):
    """y log y with 0 log 0 = 0: scipy's on numpy, scikit-learn's elsewhere."""
    if isinstance(y, np.ndarray):
        return xlogy(y, y)
    return _xlogy(y, y, xp=array_ops(y).xp)


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

    L = (1/N) Σ_i w_i Σ_j (y log(y/ŷ) − y + ŷ), scikit-learn's half deviance, ≥ 0
    and 0 only at ŷ = y; with log ŷ = a it is computed as
    (e^a − y·a) + (y log y − y), never log(ŷ), the second bracket in y alone.
    The canonical pair: ∂/∂a (e^a − y·a) = e^a − y, so ∂L/∂a = (w_i/N)(ŷ − y).
    ``a`` is overwritten with the delta.
    """
    ops = array_ops(a)
    y_log_y_hat = ops.multiply(y, a)  # y · log ŷ = y · a, before a changes
    y_hat = exp_inplace(a)
    per_entry = ops.subtract(y_hat, y_log_y_hat, out=y_log_y_hat)  # ŷ − y log ŷ
    per_entry += _xlogx(y) - y  # + y log y − y (0 log 0 = 0)
    loss = _weighted_mean(_row_sums(per_entry), w, n)
    delta = ops.subtract(y_hat, y, out=y_hat)  # ŷ − y
    delta *= _scale(w, n)
    return loss, delta


def binary_cross_entropy_and_delta(a, y, w, n):
    """Binary cross-entropy summed over the logistic outputs, and ∂L/∂a.

    ŷ = σ(a), one unit per label (one for a binary problem), y ∈ {0, 1}:
    L = −(1/N) Σ_i w_i Σ_j [y log σ(a) + (1 − y) log(1 − σ(a))]. With
    log σ(a) = −softplus(−a) and log(1 − σ(a)) = −softplus(a), each term is
    softplus(a) − y·a, computed as max(a, 0) + log(1 + e^(−|a|)) − y·a: no
    overflow, never log(0). The canonical pair: ∂/∂a (softplus(a) − y·a) = σ(a) − y,
    so ∂L/∂a = (w_i/N)(σ(a) − y). ``a`` is overwritten with the delta.
    """
    ops = array_ops(a)
    xp = np if ops is np else ops.xp
    per_entry = xp.abs(a)
    per_entry = ops.negative(per_entry, out=per_entry)
    per_entry = ops.exp(per_entry, out=per_entry)  # e^(−|a|) ∈ (0, 1]
    per_entry = ops.log1p(per_entry, out=per_entry)
    per_entry += ops.maximum(a, 0.0)  # softplus(a)
    per_entry -= y * a  # softplus(a) − y·a
    loss = _weighted_mean(_row_sums(per_entry), w, n)
    y_hat = sigmoid_inplace(a)
    delta = ops.subtract(y_hat, y, out=y_hat)  # σ(a) − y
    delta *= _scale(w, n)
    return loss, delta


def output_mean_squared_error_and_delta(a, y, w, n, output_activation):
    """Squared error averaged over the P outputs as well, and ∂L/∂a.

    L = 1/(2NP) Σ_i w_i Σ_j (y_ij − ŷ_ij)², scikit-learn's ``MLPRegressor`` loss:
    the seeds' squared error with N·P in place of N, and so is its delta,
    ∂L/∂a = (w_i/(NP))(ŷ − y) for the identity output.
    """
    return squared_error_and_delta(a, y, w, n * a.shape[1], output_activation)


def _cross_entropy(a, y, w, n, output_activation):
    return cross_entropy_and_delta(a, y, w, n)


def _poisson(a, y, w, n, output_activation):
    return poisson_and_delta(a, y, w, n)


def _binary_cross_entropy(a, y, w, n, output_activation):
    return binary_cross_entropy_and_delta(a, y, w, n)


# name -> (a, y, w, n, output_activation) -> (loss, δ_L)
LOSSES = {
    "squared_error": squared_error_and_delta,
    "output_mean_squared_error": output_mean_squared_error_and_delta,
    "cross_entropy": _cross_entropy,
    "poisson": _poisson,
    "binary_cross_entropy": _binary_cross_entropy,
}
# the loss of each output activation in the seeds' networks
DEFAULT_LOSS = {
    "identity": "squared_error",
    "sigmoid": "squared_error",
    "softmax": "cross_entropy",
    "exp": "poisson",
}


def loss_and_output_delta(architecture, a, y, w, n):
    """The loss the network is trained on (``architecture.loss``) and its δ_L."""
    loss = LOSSES[architecture.loss]
    return loss(a, y, w, n, architecture.output_activation)
