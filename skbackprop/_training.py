"""The training loops: epochs of minibatch steps, early stopping, and L-BFGS."""

import math
import time
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from ._losses import loss_and_output_delta
from ._network import (
    Parameters,
    Workspace,
    forward,
    l2_penalty,
    loss_and_gradients,
)
from ._optimizers import make_optimizer, minimize_lbfgs
from ._schedules import make_schedule
from ._validation import NoValidation, Validation, split_validation


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
            self.params.architecture, a_L, y_batch, w_batch, n
        )
        return bool(np.isfinite(loss + l2_penalty(self.params, self.alpha, n)))


def full_batch_objective(params, X, y, w, alpha):
    """``objective(params, grads) -> loss``: L(θ) and ∇_θ L over all of (X, y, w).

    Data held elsewhere (a Dask collection, ``_dask.DaskTrainingSet``) brings its
    own ``full_batch_objective``, which sums the same quantities over its chunks.
    """
    own = getattr(X, "full_batch_objective", None)
    if own is not None:
        return own(params, alpha)
    # every evaluation is a full batch: reuse its layer buffers rather than
    # have each evaluation allocate (and page in) them again
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

    def last_step_is_finite(self):
        """Whether the loss at the weights the last step left is finite."""
        return math.isfinite(self.objective(self.params, self.grads))


def _warn_if_loss_grew(estimator, losses, factor=100.0):
    """A loss that grows without becoming non-finite: warn at the end of fit.

    Every loss of the library is ≥ 0 and 0 only at a perfect fit (the Poisson
    loss with its terms in y alone), so 100× the first epoch's loss is a step
    away from the fit; an absolute ε keeps a loss that starts at 0 from warning
    on rounding."""
    if len(losses) < 2 or not losses[-1] > factor * losses[0] + _LOSS_FLOOR:
        return
    other_solver = "" if estimator.solver == "adam" else ", or use solver='adam'"
    warnings.warn(
        f"The training loss grew from {losses[0]:.3g} in the first epoch to "
        f"{losses[-1]:.3g} in the last ({len(losses)} epochs): the learning rate "
        f"(learning_rate={estimator.learning_rate}) is probably too large for "
        "this data. Lower it (e.g. tenfold), scale the inputs (e.g. with "
        f"StandardScaler){other_solver}.",
        ConvergenceWarning,
        stacklevel=5,
    )


_LOSS_FLOOR = float(np.finfo(np.float64).eps)


def _divergence_error(estimator, epoch):
    if estimator.solver == "lbfgs":
        cause = (
            "solver='lbfgs' ignores the learning rate "
            f"(learning_rate={estimator.learning_rate}): the inputs are too large for "
            "the network; scale them (e.g. with StandardScaler)."
        )
    else:
        cause = (
            f"The learning rate (learning_rate={estimator.learning_rate}) is too "
            "large for this data: lower it (e.g. tenfold), scale the inputs (e.g. with "
            "StandardScaler), or use solver='adam' or solver='lbfgs'."
        )
    return ValueError(
        f"Training diverged at epoch {epoch}: the loss or the weights became "
        f"non-finite (NaN or inf). {cause} The estimator was left as it was before "
        "this call."
    )


class TrainingLoopMixin:
    """The epoch loops of ``BaseBackprop``; they record progress on the estimator."""

    def _gathers_rows(self, *, splits):
        """Whether training gathers shuffled rows of X into minibatches, which
        wants X C-ordered (early stopping's split makes C-ordered copies itself)."""
        return self.solver in ("sgd", "adam") and self.shuffle and not splits

    def _batch_size(self, n_samples):
        if self.solver == "gd":
            return n_samples
        if self.batch_size == "auto":
            return min(200, n_samples)
        return min(self.batch_size, n_samples)

    def _validation(self, data, params, *, keep_best, continued):
        if data is None:
            if not continued:
                self.validation_scores_ = self.validation_loss_curve_ = None
                self.best_validation_score_ = None
            return NoValidation()
        return Validation(self, data, params, keep_best=keep_best, continued=continued)

    def _fit_stochastic(
        self, params, X, y, y_raw, w, validation_data, callbacks, *, incremental
    ):
        # partial_fit continues the optimizer's and the schedule's state under the
        # current hyper-parameters; fit (warm or not) starts them afresh.
        optimizer = make_optimizer(self, self._optimizer if incremental else None)
        schedule = make_schedule(self, self._schedule if incremental else None)
        if not incremental:
            self._no_improvement_count = 0
        early_stopping = self.early_stopping and not incremental
        if early_stopping:
            self.best_loss_ = None
            if validation_data is None:
                (X, y, w), validation_data = split_validation(self, X, y, y_raw, w)
        validation = self._validation(
            validation_data, params, keep_best=early_stopping, continued=incremental
        )
        n_samples = X.shape[0]
        batch_size = self._batch_size(n_samples)
        shuffled = self.shuffle and batch_size < n_samples
        if hasattr(X, "full_batch_objective"):  # data held elsewhere: gd only
            runner = FullBatchRunner(params, X.full_batch_objective(params, self.alpha))
        else:
            runner = MinibatchRunner(
                params, X, y, w, batch_size, self.alpha, shuffled=shuffled
            )
        max_epochs = 1 if incremental else self.max_iter
        first_epoch = len(self.learning_rate_curve_) if incremental else 0
        first_loss = len(self.loss_curve_)
        self.learning_rate_curve_ = list(self.learning_rate_curve_)
        self.n_iter_ = 0  # epochs of this call, as in scikit-learn's MLP
        start_time = time.perf_counter()
        reached_max_iter = False
        # The epoch's sample order (None: as stored). partial_fit goes on from the
        # last call's order, so that k calls equal one fit with max_iter=k.
        order = self.__dict__.get("_sample_order") if incremental else None
        if order is not None and len(order) != n_samples:
            order = None
        with np.errstate(all="ignore"):  # non-finite values are caught just below
            for epoch in range(first_epoch, first_epoch + max_epochs):
                optimizer.learning_rate = schedule.rate(epoch, self.t_)
                self.learning_rate_curve_.append(optimizer.learning_rate)
                if shuffled:
                    # each epoch shuffles the last epoch's order, as scikit-learn's
                    # MLP does: the same random_state gives the same batches
                    order = self._rng.permutation(n_samples if order is None else order)
                callbacks.begin_epoch(params)
                loss = runner.run_epoch(optimizer, order)
                if not (np.isfinite(loss) and np.isfinite(params.flat).all()):
                    raise _divergence_error(self, self.n_iter_ + 1)
                self.n_iter_ += 1
                self.t_ += n_samples
                self.loss_ = loss
                self.loss_curve_.append(self.loss_)
                validation_improved = validation.evaluate(params)
                if early_stopping:
                    improved = validation_improved
                else:
                    improved = self.loss_ <= self.best_loss_ - self.tol
                    self.best_loss_ = min(self.best_loss_, self.loss_)
                self._no_improvement_count = (
                    0 if improved else (self._no_improvement_count + 1)
                )
                self._report_epoch(start_time, validation_improved is not None)
                stop_requested = callbacks.end_epoch(params)
                converged = False
                if self._no_improvement_count > self.n_iter_no_change:
                    converged = schedule.plateau()  # adaptive: a smaller rate instead
                    if not converged:
                        self._no_improvement_count = 0
                if (converged or stop_requested) and not incremental:
                    break
            else:
                reached_max_iter = not incremental
            validation.restore_best(params)
            if not runner.last_step_is_finite():
                raise _divergence_error(self, self.n_iter_)
        if reached_max_iter:
            warnings.warn(
                f"{self.solver} solver: maximum iterations ({self.max_iter}) "
                "reached and the optimization hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=5,
            )
        if not incremental:
            _warn_if_loss_grew(self, self.loss_curve_[first_loss:])
        self._optimizer, self._schedule = optimizer, schedule
        self._sample_order = order

    def _fit_lbfgs(self, params, X, y, w, validation_data, callbacks):
        grads = Parameters.zeros(params.architecture, params.flat.dtype)
        dtype = params.flat.dtype
        evaluate = full_batch_objective(params, X, y, w, self.alpha)

        def objective(theta):
            params.flat[...] = theta.astype(dtype, copy=False)
            loss = evaluate(params, grads)
            return loss, grads.flat.astype(np.float64)

        start_time = time.perf_counter()
        self.n_iter_ = 0
        # lbfgs has no epochs to stop early after: validation data is only watched
        validation = self._validation(
            validation_data, params, keep_best=False, continued=False
        )

        def record(intermediate_result):
            self.n_iter_ += 1
            self.loss_curve_.append(float(intermediate_result.fun))
            self.loss_ = self.loss_curve_[-1]
            iterate = Parameters(params.architecture, intermediate_result.x)
            validated = validation.evaluate(iterate.copy(dtype)) is not None
            self._report_epoch(start_time, validated)
            callbacks.begin_epoch()
            if callbacks.end_epoch(iterate):
                raise StopIteration  # a callback asked to stop: scipy ends here

        with np.errstate(all="ignore"):
            result = minimize_lbfgs(
                objective, params.flat, self.max_iter, self.tol, callback=record
            )
        if not (np.isfinite(result.fun) and np.isfinite(result.x).all()):
            raise _divergence_error(self, self.n_iter_)
        params.flat[...] = result.x
        self.n_iter_ = int(result.nit)
        self.t_ += X.shape[0] * self.n_iter_
        self.loss_ = float(result.fun)
        self.best_loss_ = min(self.best_loss_, self.loss_)
        if result.status == 1:
            warnings.warn(
                f"lbfgs solver: maximum iterations ({self.max_iter}) reached and the "
                f"optimization hasn't converged yet ({result.message}).",
                ConvergenceWarning,
                stacklevel=5,
            )

    def _report_epoch(self, start_time, validated):
        if not self.verbose:
            return
        line = f"Iteration {self.n_iter_}, loss = {self.loss_:.8f}"
        if validated:
            line += f", validation score = {self.validation_scores_[-1]:.8f}"
        line += f", elapsed = {time.perf_counter() - start_time:.2f}s"
        print(line)
