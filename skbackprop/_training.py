"""The training loops: epochs of minibatch steps, early stopping, and L-BFGS."""

import math
import time
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from ._activations import _LOG_MAX
from ._custom_activations import resolve_activation
from ._network import (
    Parameters,
    Workspace,
    forward,
    layer_outputs,
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
        self.failed_rows = slice(None)  # the rows to blame, once a loss is not finite

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
                self.failed_rows = rows
                return float("nan")
            accumulated += loss * (float(batch_weight) / total_weight)
            optimizer.step(self.params.flat, self.grads.flat)
            self._last_rows = rows
        return accumulated

    def predicts_finite(self):
        """Whether the weights the call leaves predict finite values on all of its
        training data (see ``predicts_finite``), in the batch buffers."""
        return predicts_finite(self.params, self.X, self.batch_size, self.workspace)

    def failed_inputs(self):
        """The rows of X whose loss was not finite (all of X if none failed)."""
        return self._gather(self.failed_rows)[0]


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
    non-finite: the clamp keeps a diverged step's loss finite.
    """
    clamped = params.architecture.output_activation == "exp"
    dtype = params.flat.dtype
    # exp: below the clamp; else far enough below overflow that (ŷ − y)² and the
    # matrix products' partial sums stay finite too
    limit = _LOG_MAX[dtype] if clamped else math.sqrt(np.finfo(dtype).max) / 16
    if output_bound(params, X) < limit:
        return True
    for start in range(0, X.shape[0], batch_size):
        a_L = forward(params, X[start : start + batch_size], workspace)[-1]
        if not np.isfinite(a_L).all():
            return False
        if clamped and a_L.max() >= _LOG_MAX[a_L.dtype]:
            return False
    return True


def output_bound(params, X):
    """An upper bound on |a_L[i, j]| over all rows i of X and outputs j (inf for
    a user's activation, or non-finite weights).

    |a_k[i, j]| = |Σ_l h_{k−1}[i, l] W_k[l, j] + b_k[j]| ≤ max|h_{k−1}| ·
    max_j ‖W_k[:, j]‖₁ + max|b_k|, and every built-in g has |g(a)| ≤ |a| + 1
    (sigmoid and tanh ≤ 1, elu ≥ −1, softplus ≤ |a| + log 2, the others ≤ |a|),
    so max|h_k| ≤ max|a_k| + 1. Computed in float64.
    """
    if not isinstance(params.architecture.activation, str):
        return math.inf  # a user's g promises no such bound
    values = X.data if sp.issparse(X) else X
    if values.size == 0:
        bound = 0.0
    else:
        bound = max(float(values.max()), -float(values.min()), 0.0)
    with np.errstate(all="ignore"):
        for k, (W, b) in enumerate(zip(params.coefs, params.intercepts, strict=True)):
            if k:
                bound += 1.0  # max|h_k| ≤ max|a_k| + 1
            column_sums = np.abs(W).sum(axis=0, dtype=np.float64)
            bias = float(np.abs(b).max(initial=0.0))
            bound = bound * float(column_sums.max(initial=0.0)) + bias
    return bound if math.isfinite(bound) else math.inf


class _PreactivationRecorder:
    """Keeps the latest a_k + b_k of a forward pass (a ``_trace`` recorder)."""

    a = None

    def preactivation(self, k, a, bias):
        self.a = a.copy() if bias is None else a + bias


def activation_error(params, X):
    """A ValueError naming the hidden activation, when it returns a non-finite
    value or derivative for a finite input in the forward pass of X; else None.

    Asked only once training has met a non-finite value, so that a user's
    ``Activation`` that is correct on ``check_activation``'s grid but not
    beyond it is named as the cause, not the learning rate.
    """
    activation = resolve_activation(params.architecture.activation)
    recorder = _PreactivationRecorder()
    last = len(params.coefs) - 1
    with np.errstate(all="ignore"):
        for k, h in enumerate(layer_outputs(params, X, None, recorder)):
            a = recorder.a
            if k == last or not np.isfinite(a).all():
                return None  # the weights themselves overflow: a divergence
            for what, value in (("value", h), ("derivative", None)):
                if value is None:
                    value = np.broadcast_to(activation.derivative(a, h), a.shape)
                bad = ~np.isfinite(value)
                if bad.any():
                    return ValueError(
                        f"The activation {activation.name!r} returned a non-finite "
                        f"{what} ({value[bad][0]}) for the finite input a = "
                        f"{a[bad][0]:.6g} in hidden layer {k + 1}. Training stopped "
                        "there: an activation must be finite, with a finite "
                        "derivative, for every finite input, not only on "
                        "check_activation's grid over [-6, 6]. The estimator was "
                        "left as it was before this call."
                    )
    return None


def _remedies(estimator, solvers):
    """The remedies after "lower it": only the solvers not already in use."""
    others = " or ".join(f"solver={s!r}" for s in solvers if s != estimator.solver)
    scale = ", scale the inputs (e.g. with StandardScaler)"
    return f"{scale}, or use {others}" if others else f" or{scale[1:]}"


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

    def predicts_finite(self):
        """Whether the loss at the weights the last step left is finite: the
        data is not here to forward, and its sum over the chunks is."""
        return math.isfinite(self.objective(self.params, self.grads))

    def failed_inputs(self):
        return None  # the chunks stay where they are


def _warn_if_loss_grew(estimator, losses, factor=100.0):
    """A loss that grows without becoming non-finite: warn at the end of fit.

    Every loss of the library is ≥ 0 and 0 only at a perfect fit (the Poisson
    loss with its terms in y alone), so 100× the first epoch's loss is a step
    away from the fit; an absolute ε keeps a loss that starts at 0 from warning
    on rounding."""
    if len(losses) < 2 or not losses[-1] > factor * losses[0] + _LOSS_FLOOR:
        return
    warnings.warn(
        f"The training loss grew from {losses[0]:.3g} in the first epoch to "
        f"{losses[-1]:.3g} in the last ({len(losses)} epochs): the learning rate "
        f"(learning_rate={estimator.learning_rate}) is probably too large for "
        "this data. Lower it (e.g. tenfold)" + _remedies(estimator, ("adam",)) + ".",
        ConvergenceWarning,
        stacklevel=5,
    )


_LOSS_FLOOR = float(np.finfo(np.float64).eps)


# scikit-learn's MLP says this on divergence: code that matches it finds it in ours
SKLEARN_DIVERGENCE_SENTENCE = (
    "Solver produced non-finite parameter weights. The input data may contain "
    "large values and need to be preprocessed."
)


def _divergence_message(estimator, epoch):
    if estimator.solver == "lbfgs":
        cause = (
            "solver='lbfgs' ignores the learning rate "
            f"(learning_rate={estimator.learning_rate}): the inputs are too large for "
            "the network; scale them (e.g. with StandardScaler)."
        )
    else:
        cause = (
            f"The learning rate (learning_rate={estimator.learning_rate}) is too "
            "large for this data: lower it (e.g. tenfold)"
            + _remedies(estimator, ("adam", "lbfgs"))
            + "."
        )
    return (
        f"Training diverged at epoch {epoch}: the loss or the weights became "
        f"non-finite (NaN or inf). {SKLEARN_DIVERGENCE_SENTENCE} {cause}"
    )


def _divergence_error(estimator, epoch):
    return ValueError(
        f"{_divergence_message(estimator, epoch)} The estimator was left as it was "
        "before this call."
    )


def _divergence(estimator, params, X, epoch):
    """The error of a diverged call: the activation, when it returned a
    non-finite value on the rows X (None: data held elsewhere, not asked), else
    the learning rate's ``_divergence_error``."""
    blamed = None if X is None else activation_error(params, X)
    return blamed or _divergence_error(estimator, epoch)


def _warn_diverged_under_early_stopping(estimator, validation):
    """Early stopping ends a diverging fit at the weights of its best score."""
    warnings.warn(
        f"{_divergence_message(estimator, estimator.n_iter_)} Early stopping ended "
        "training there and kept the weights of the best validation score "
        f"({estimator.best_validation_score_:.6g}, epoch {validation.best_epoch}).",
        ConvergenceWarning,
        stacklevel=5,
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
                diverged = not (np.isfinite(loss) and np.isfinite(params.flat).all())
                if diverged and not validation.keeps_best:
                    raise _divergence(
                        self, params, runner.failed_inputs(), self.n_iter_ + 1
                    )
                # Under early stopping with a best score kept, as scikit-learn's
                # MLP: the epoch is recorded (NaN scores) and training ends at the
                # best weights.
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
                if diverged:
                    _warn_diverged_under_early_stopping(self, validation)
                    break
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
            if not runner.predicts_finite():
                raise _divergence(self, params, runner.failed_inputs(), self.n_iter_)
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
                objective,
                params.flat,
                self.max_iter,
                self.tol,
                callback=record,
                max_fun=self.max_fun,
            )
        params.flat[...] = result.x
        with np.errstate(all="ignore"):
            finite = np.isfinite(result.fun) and np.isfinite(result.x).all()
            in_memory = not hasattr(X, "full_batch_objective")
            if finite and in_memory:  # held elsewhere: the finite loss tells
                finite = predicts_finite(params, X, X.shape[0])
            if not finite:
                raise _divergence(self, params, X if in_memory else None, self.n_iter_)
        self.n_iter_ = int(result.nit)
        self.t_ += X.shape[0] * self.n_iter_
        self.loss_ = float(result.fun)
        self.best_loss_ = min(self.best_loss_, self.loss_)
        if result.status == 1:  # a limit, max_iter or max_fun, ended L-BFGS-B
            if self.n_iter_ >= self.max_iter:
                limit = (
                    f"lbfgs solver: maximum iterations ({self.max_iter}) reached and "
                    "the optimization hasn't converged yet: raise max_iter."
                )
            else:
                limit = (
                    f"lbfgs solver: the loss was evaluated {result.nfev} times, "
                    f"reaching max_fun={self.max_fun}, and the optimization hasn't "
                    "converged yet: raise max_fun."
                )
            warnings.warn(
                # scikit-learn's text first, so that code matching it finds it
                f"lbfgs failed to converge after {self.n_iter_} iteration(s) "
                f"(status={result.status}):\n{result.message}\n\n{limit}",
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
