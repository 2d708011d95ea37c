"""The runners: one training call's memory and its epochs of steps, and the
end-of-training checks that the weights predict finite values.

On numpy arrays every buffer is allocated once and reused. On any other array API
namespace the batches, activations and gradients are new arrays on X's device,
and nothing comes back to the host per batch: the batch losses are summed on the
device and read back once per epoch, with the batches' weights (one array of
n_batches values) — a batch of zero weight is still skipped, as on numpy. A
non-finite loss shows only at the end of the epoch there, so the rows blamed for
it (``failed_inputs``) are all of X, not the failing batch's.
"""

import math

import numpy as np
import scipy.sparse as sp
from sklearn.utils._array_api import move_to

from ._activations import _LOG_MAX
from ._custom_activations import resolve_activation
from ._network import forward, layer_outputs, loss_and_gradients
from ._parameters import AllocatingWorkspace, Parameters, Workspace
from ._xp import array_device, array_namespace, copy_array, numpy_dtype


def is_finite(value):
    """Whether a number, or every entry of an array of any namespace, is finite
    (one scalar read back for a non-numpy array)."""
    if isinstance(value, (float, int)):
        return math.isfinite(value)
    if isinstance(value, (np.ndarray, np.generic)):
        return bool(np.isfinite(value).all())
    xp = array_namespace(value)
    return bool(xp.all(xp.isfinite(value)))


class MinibatchRunner:
    """Owns the memory of one ``fit``/``partial_fit`` call and runs its epochs.

    Every buffer — activations, deltas, gradients, the gathered batch — is
    allocated once here and reused for every batch of every epoch (numpy).
    """

    def __init__(self, params, X, y, sample_weight, batch_size, alpha, *, shuffled):
        self.xp = None  # numpy; else the namespace the arrays live in
        if not isinstance(params.flat, np.ndarray):
            self.xp, self.device = array_namespace(X), array_device(X)
        elif shuffled and not sp.issparse(X):
            # take(axis=0) from anything but a C-ordered array first copies all of
            # it, on every batch: copy once here instead (a no-op when C-ordered)
            X, y = np.ascontiguousarray(X), np.ascontiguousarray(y)
        self.params, self.X, self.y, self.w = params, X, y, sample_weight
        self.batch_size, self.alpha = batch_size, alpha
        self._X_batch = self._y_batch = self._w_batch = None
        if self.xp is not None:
            self.grads = params.zeros_like()
            self.workspace = AllocatingWorkspace(params.architecture)
            self._last_rows = None
            self.failed_rows = slice(None)
            self._epoch_start = self._failed_flat = None
            return
        dtype = params.flat.dtype
        self.grads = Parameters.zeros(params.architecture, dtype)
        self.workspace = Workspace(params.architecture, batch_size, dtype)
        if not sp.issparse(X):
            self._X_batch = np.empty((batch_size, X.shape[1]), X.dtype)
        self._y_batch = np.empty((batch_size, *y.shape[1:]), y.dtype)
        self._w_batch = None if sample_weight is None else np.empty(batch_size, dtype)
        # The rows of the latest step's batch (a slice, or a view of the epoch's
        # order, which is never written to): the gathered batch itself lives in
        # buffers that later batches, stepped or skipped, overwrite.
        self._last_rows = None
        self.failed_rows = slice(None)  # the rows to blame, once a loss is not finite

    def _gather(self, rows):
        """(X, y, w) of the batch; shuffled rows are copied into the reused buffers."""
        X, y, w = self.X, self.y, self.w
        if self.xp is not None:  # rows: a slice, or indices on the device
            if isinstance(rows, slice):
                return X[rows, ...], y[rows, ...], None if w is None else w[rows]
            take = self.xp.take
            w_batch = None if w is None else take(w, rows)
            return take(X, rows, axis=0), take(y, rows, axis=0), w_batch
        if isinstance(rows, slice):
            return X[rows], y[rows], None if w is None else w[rows]
        m = len(rows)
        # take with out= and mode="clip" writes straight into the buffer
        if self._X_batch is None:
            X_batch = X[rows]
        else:
            X_batch = X.take(rows, axis=0, mode="clip", out=self._X_batch[:m])
        y_batch = y.take(rows, axis=0, mode="clip", out=self._y_batch[:m])
        w_batch = None
        if w is not None:
            w_batch = w.take(rows, mode="clip", out=self._w_batch[:m])
        return X_batch, y_batch, w_batch

    def _batch_weights_on_host(self, order):
        """Each batch's Σ w, computed on the device and read back in one array."""
        xp, w, size = self.xp, self.w, self.batch_size
        ordered = w if order is None else xp.take(w, order)
        n_batches = -(-ordered.shape[0] // size)
        padding = xp.zeros(
            n_batches * size - ordered.shape[0], dtype=w.dtype, device=self.device
        )
        padded = xp.concat([ordered, padding])
        sums = xp.sum(xp.reshape(padded, (n_batches, size)), axis=1)
        return move_to(sums, xp=np, device="cpu")

    def run_epoch(self, optimizer, order=None):
        """One pass over the data in ``order`` (None: as stored); returns the
        sample-weighted mean of the batch losses, NaN at the first non-finite one
        (outside numpy: NaN if any was, found at the end of the epoch)."""
        n_samples = self.X.shape[0]
        on_host = self.xp is None
        if not on_host and order is not None:
            order = self.xp.asarray(order, device=self.device)
        batch_weights = None
        if not on_host and self.w is not None:
            batch_weights = self._batch_weights_on_host(order)
        if self.w is None:
            total_weight = n_samples
        elif on_host:
            total_weight = float(self.w.sum())
        else:
            total_weight = float(batch_weights.sum())
        accumulated = 0.0  # Σ_batches loss · (batch weight / total weight)
        if not on_host:
            # a non-finite batch shows only at the end of the epoch, by when
            # its gradient has been stepped: keep the weights it started from
            # (a copy on the device) to diagnose it (``failed_params``)
            self._epoch_start, self._failed_flat = copy_array(self.params.flat), None
        for i, start in enumerate(range(0, n_samples, self.batch_size)):
            rows = slice(start, min(start + self.batch_size, n_samples))
            if order is not None:
                rows = order[rows]
            X_batch, y_batch, w_batch = self._gather(rows)
            if w_batch is None:
                batch_weight = X_batch.shape[0]
            elif on_host:
                batch_weight = w_batch.sum()
            else:
                batch_weight = batch_weights[i]
            if batch_weight == 0:
                continue  # an all-zero-weight batch carries no gradient
            loss = loss_and_gradients(
                self.params,
                X_batch,
                y_batch,
                w_batch,
                self.alpha,
                self.grads,
                self.workspace,
            )
            if on_host and not math.isfinite(loss):
                self.failed_rows = rows
                return float("nan")
            accumulated += loss * (float(batch_weight) / total_weight)
            optimizer.step(self.params.flat, self.grads.flat)
            self._last_rows = rows
        loss = float(accumulated)  # outside numpy, the epoch's one read-back
        if not (on_host or math.isfinite(loss)):
            self._failed_flat = self._epoch_start
            return float("nan")
        return loss

    def predicts_finite(self):
        """Whether the weights the call leaves predict finite values on all of its
        training data (see ``predicts_finite``), in the batch buffers."""
        return predicts_finite(self.params, self.X, self.batch_size, self.workspace)

    def failed_inputs(self):
        """The rows of X whose loss was not finite (all of X if none failed, and
        always outside numpy)."""
        return self._gather(self.failed_rows)[0]

    def failed_params(self):
        """The weights at which ``failed_inputs`` met a non-finite loss: the
        current ones on numpy (it stops before stepping), outside numpy those
        the failed epoch started from."""
        if self.xp is None or self._failed_flat is None:
            return self.params
        return Parameters(self.params.architecture, self._failed_flat)


def predicts_finite(params, X, batch_size, workspace=None):
    """Whether ``params`` give a finite output on every row of X.

    The epoch's losses were measured before each step, at weights training has
    moved on from: they do not show that the final weights predict. Checked
    once per training call, in two stages:

    1. A bound on |a_L| over every row, from max|X| and the weights alone
       (``output_bound``): one reduction over X and one over the weights, about
       1 % of an epoch. Below the limit every row is finite, certainly.
    2. Otherwise (a bound that large, a user's activation), a forward pass over
       X batch by batch: about 0.4 epoch, paid only by a model near overflow.

    An exp output clamped at the dtype's largest number (a ≥ log(max)) counts as
    non-finite: the clamp keeps a diverged step's loss finite. Outside numpy the
    passes compute on X's device and one boolean comes back to the host.
    """
    clamped = params.architecture.output_activation == "exp"
    dtype = numpy_dtype(params.flat.dtype)
    # exp: below the clamp; else far enough below overflow that (ŷ − y)² and the
    # matrix products' partial sums stay finite too
    limit = _LOG_MAX[dtype] if clamped else math.sqrt(np.finfo(dtype).max) / 16
    if output_bound(params, X) < limit:
        return True
    on_host = isinstance(params.flat, np.ndarray)
    xp = np if on_host else array_namespace(params.flat)
    finite = True  # outside numpy: a 0-d boolean on the device, read once
    for start in range(0, X.shape[0], batch_size):
        stop = min(start + batch_size, X.shape[0])
        a_L = forward(params, X[start:stop, ...], workspace)[-1]
        batch_finite = xp.all(xp.isfinite(a_L))
        if clamped and a_L.shape[0]:
            batch_finite = batch_finite & (xp.max(a_L) < float(_LOG_MAX[dtype]))
        if on_host and not batch_finite:
            return False
        finite = finite & batch_finite
    return bool(finite)


def _max_abs(a):
    """max |a| as a Python float (0 for an empty array), in a's namespace."""
    if sp.issparse(a):
        a = a.data
    if a.size == 0 if isinstance(a, np.ndarray) else math.prod(a.shape) == 0:
        return 0.0
    if isinstance(a, np.ndarray):
        return max(float(a.max()), -float(a.min()), 0.0)
    xp = array_namespace(a)
    return float(xp.max(xp.abs(a)))


def output_bound(params, X):
    """An upper bound on |a_L[i, j]| over all rows i of X and outputs j (inf for
    a user's activation, or non-finite weights).

    |a_k[i, j]| = |Σ_l h_{k−1}[i, l] W_k[l, j] + b_k[j]| ≤ max|h_{k−1}| ·
    max_j ‖W_k[:, j]‖₁ + max|b_k|, and every built-in g has |g(a)| ≤ |a| + 1
    (sigmoid and tanh ≤ 1, elu ≥ −1, softplus ≤ |a| + log 2, the others ≤ |a|),
    so max|h_k| ≤ max|a_k| + 1. Computed in float64 (numpy), else in the
    weights' dtype on their device, a few scalars read back per layer.
    """
    if not isinstance(params.architecture.activation, str):
        return math.inf  # a user's g promises no such bound
    bound = _max_abs(X)
    on_host = isinstance(params.flat, np.ndarray)
    xp = np if on_host else array_namespace(params.flat)
    with np.errstate(all="ignore"):
        for k, (W, b) in enumerate(zip(params.coefs, params.intercepts, strict=True)):
            if k:
                bound += 1.0  # max|h_k| ≤ max|a_k| + 1
            if on_host:
                column_sums = np.abs(W).sum(axis=0, dtype=np.float64)
                largest = float(column_sums.max(initial=0.0))
            else:
                largest = _max_abs(xp.sum(xp.abs(W), axis=0))
            bound = bound * largest + _max_abs(b)
    return bound if math.isfinite(bound) else math.inf


class _PreactivationRecorder:
    """Keeps the latest a_k + b_k of a forward pass (a ``_trace`` recorder)."""

    a = None

    def preactivation(self, k, a, bias):
        self.a = copy_array(a) if bias is None else a + bias


def _first_bad(value, a):
    """The first non-finite entry of ``value`` and the input a there, on the host."""
    if not isinstance(value, np.ndarray):
        value, a = (move_to(v, xp=np, device="cpu") for v in (value, a))
    bad = ~np.isfinite(value)
    return value[bad][0], a[bad][0]


def activation_error(params, X):
    """A ValueError naming the hidden activation, when it returns a non-finite
    value or derivative for a finite input in the forward pass of X; else None.

    Asked only once training has met a non-finite value, so that a user's
    ``Activation`` that is correct on ``check_activation``'s grid but not
    beyond it is named as the cause, not the learning rate. Outside numpy the
    pass computes on X's device; a few booleans come back to the host.
    """
    activation = resolve_activation(params.architecture.activation)
    recorder = _PreactivationRecorder()
    last = len(params.coefs) - 1
    with np.errstate(all="ignore"):
        for k, h in enumerate(layer_outputs(params, X, None, recorder)):
            a = recorder.a
            if k == last or not is_finite(a):
                return None  # the weights themselves overflow: a divergence
            for what, value in (("value", h), ("derivative", None)):
                if value is None:
                    derivative = activation.derivative(a, h)
                    if isinstance(a, np.ndarray):
                        value = np.broadcast_to(derivative, a.shape)
                    else:
                        xp = array_namespace(a)
                        value = xp.broadcast_to(xp.asarray(derivative), a.shape)
                if not is_finite(value):
                    found, at = _first_bad(value, a)
                    return ValueError(
                        f"The activation {activation.name!r} returned a non-finite "
                        f"{what} ({found}) for the finite input a = "
                        f"{at:.6g} in hidden layer {k + 1}. Training stopped "
                        "there: an activation must be finite, with a finite "
                        "derivative, for every finite input, not only on "
                        "check_activation's grid over [-6, 6]. The estimator was "
                        "left as it was before this call."
                    )
    return None


def full_batch_objective(params, X, y, w, alpha):
    """``objective(params, grads) -> loss``: L(θ) and ∇_θ L over all of (X, y, w).

    Data held elsewhere (a Dask collection, ``_dask.DaskTrainingSet``) brings its
    own ``full_batch_objective``, which sums the same quantities over its chunks.
    """
    own = getattr(X, "full_batch_objective", None)
    if own is not None:
        return own(params, alpha)
    # every evaluation is a full batch: on numpy, reuse its layer buffers rather
    # than have each evaluation allocate (and page in) them again
    workspace = None
    if isinstance(params.flat, np.ndarray):
        workspace = Workspace(params.architecture, X.shape[0], params.flat.dtype)

    def objective(params, grads):
        return loss_and_gradients(params, X, y, w, alpha, grads, workspace)

    return objective


class FullBatchRunner:
    """gd's epochs over data the runner does not hold: one evaluation of
    ``objective`` (see ``full_batch_objective``) and one step per epoch."""

    def __init__(self, params, objective):
        self.params, self.objective = params, objective
        self.grads = Parameters.zeros(params.architecture, params.flat.dtype)

    def run_epoch(self, optimizer, order=None):
        """One full-batch step; returns the loss before it (NaN if non-finite)."""
        loss = self.objective(self.params, self.grads)
        if not math.isfinite(loss):
            return float("nan")
        optimizer.step(self.params.flat, self.grads.flat)
        return loss

    def predicts_finite(self):
        """Whether the loss at the weights the last step left is finite: the
        data is not here to forward, and its sum over the chunks is."""
        return math.isfinite(self.objective(self.params, self.grads))

    def failed_inputs(self):
        return None  # the chunks stay where they are

    def failed_params(self):
        return self.params
