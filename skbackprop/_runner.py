"""The minibatch runner: one training call's memory and its epochs of steps."""

import math

import numpy as np
import scipy.sparse as sp

from ._losses import loss_and_output_delta
from ._network import forward, l2_penalty, loss_and_gradients
from ._parameters import Parameters, Workspace


class MinibatchRunner:
    """Owns the memory of one ``fit``/``partial_fit`` call and runs its epochs.

    Every buffer — activations, deltas, gradients, the gathered batch — is
    allocated once here and reused for every batch of every epoch.
    """

    def __init__(self, params, X, y, sample_weight, batch_size, alpha, *, shuffled):
        if shuffled and not sp.issparse(X):
            # take(axis=0) from anything but a C-ordered array first copies all of
            # it, on every batch: copy once here instead (a no-op when C-ordered)
            X, y = np.ascontiguousarray(X), np.ascontiguousarray(y)
        self.params, self.X, self.y, self.w = params, X, y, sample_weight
        self.batch_size, self.alpha = batch_size, alpha
        dtype = params.flat.dtype
        self.grads = Parameters.zeros(params.architecture, dtype)
        self.workspace = Workspace(params.architecture, batch_size, dtype)
        self._X_batch = None
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

    def run_epoch(self, optimizer, order=None):
        """One pass over the data in ``order`` (None: as stored); returns the
        sample-weighted mean of the batch losses, NaN at the first non-finite one."""
        n_samples = self.X.shape[0]
        total_weight = n_samples if self.w is None else float(self.w.sum())
        accumulated = 0.0  # Σ_batches loss · (batch weight / total weight)
        for start in range(0, n_samples, self.batch_size):
            rows = slice(start, start + self.batch_size)
            if order is not None:
                rows = order[rows]
            X_batch, y_batch, w_batch = self._gather(rows)
            batch_weight = X_batch.shape[0] if w_batch is None else w_batch.sum()
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
            if not math.isfinite(loss):
                return float("nan")
            accumulated += loss * (float(batch_weight) / total_weight)
            optimizer.step(self.params.flat, self.grads.flat)
            self._last_rows = rows
        return accumulated

    def last_step_is_finite(self):
        """Whether the loss of the last batch, at the weights its step left, is
        finite: an epoch's loss is measured before its last step. A forward
        pass only, once per training call."""
        X_batch, y_batch, w_batch = self._gather(self._last_rows)
        n = X_batch.shape[0] if w_batch is None else float(w_batch.sum())
        a_L = forward(self.params, X_batch, self.workspace)[-1]
        loss, _ = loss_and_output_delta(
            self.params.architecture.output_activation, a_L, y_batch, w_batch, n
        )
        return bool(np.isfinite(loss + l2_penalty(self.params, self.alpha, n)))
