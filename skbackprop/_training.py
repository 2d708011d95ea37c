"""The inner training loop: minibatches over reused buffers, one step per batch."""

import numpy as np
import scipy.sparse as sp

from ._network import Parameters, Workspace, loss_and_gradients


class MinibatchRunner:
    """Owns the memory of one ``fit``/``partial_fit`` call and runs its epochs.

    Every buffer — activations, deltas, gradients, the gathered batch — is
    allocated once here and reused for every batch of every epoch.
    """

    def __init__(self, params, X, y, sample_weight, batch_size, alpha):
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

    def _gather(self, rows):
        """(X, y, w) of the batch; shuffled rows are copied into the reused buffers."""
        X, y, w = self.X, self.y, self.w
        if isinstance(rows, slice):
            return X[rows], y[rows], None if w is None else w[rows]
        m = len(rows)
        # np.take with out= and mode="clip" writes straight into the buffer
        if self._X_batch is None:
            X_batch = X[rows]
        else:
            X_batch = np.take(X, rows, axis=0, mode="clip", out=self._X_batch[:m])
        y_batch = np.take(y, rows, axis=0, mode="clip", out=self._y_batch[:m])
        w_batch = None
        if w is not None:
            w_batch = np.take(w, rows, mode="clip", out=self._w_batch[:m])
        return X_batch, y_batch, w_batch

    def run_epoch(self, optimizer, order=None):
        """One pass over the data in ``order`` (None: as stored); returns the
        sample-weighted mean of the batch losses, NaN at the first non-finite one."""
        n_samples = self.X.shape[0]
        accumulated = 0.0
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
            if not np.isfinite(loss):
                return float("nan")
            accumulated += loss * float(batch_weight)
            optimizer.step(self.params.flat, self.grads.flat)
        total_weight = n_samples if self.w is None else float(self.w.sum())
        return accumulated / total_weight
