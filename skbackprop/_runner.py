"""The minibatch runner: one training call's memory and its epochs of steps.

On numpy arrays every buffer is allocated once and reused. On any other array API
namespace the batches, activations and gradients are new arrays on X's device,
and nothing comes back to the host per batch: the batch losses are summed on the
device and read back once per epoch, with the batches' weights (one array of
n_batches values) — a batch of zero weight is still skipped, as on numpy.
"""

import math

import numpy as np
import scipy.sparse as sp
from sklearn.utils._array_api import move_to

from ._losses import loss_and_output_delta
from ._network import forward, l2_penalty, loss_and_gradients
from ._parameters import AllocatingWorkspace, Parameters, Workspace
from ._xp import array_device, array_namespace


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
                return float("nan")
            accumulated += loss * (float(batch_weight) / total_weight)
            optimizer.step(self.params.flat, self.grads.flat)
            self._last_rows = rows
        return float(accumulated)  # outside numpy, the epoch's one read-back

    def last_step_is_finite(self):
        """Whether the loss of the last batch, at the weights its step left, is
        finite: an epoch's loss is measured before its last step. A forward
        pass only, once per training call."""
        X_batch, y_batch, w_batch = self._gather(self._last_rows)
        if w_batch is None:
            n = X_batch.shape[0]
        elif self.xp is None:
            n = float(w_batch.sum())
        else:
            n = self.xp.sum(w_batch)
        a_L = forward(self.params, X_batch, self.workspace)[-1]
        loss, _ = loss_and_output_delta(
            self.params.architecture, a_L, y_batch, w_batch, n
        )
        return is_finite(loss + l2_penalty(self.params, self.alpha, n))
