"""The training loops: epochs of minibatch steps, early stopping, and L-BFGS.

Per epoch only a few scalars come back from the arrays' device: the epoch's loss,
whether the weights are finite, the validation loss and score. L-BFGS runs scipy
on the host over the parameter vector; the loss and gradient are computed on the
device, one parameter-sized vector each way per evaluation.
"""

import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._array_api import move_to

from ._optimizers import make_optimizer, minimize_lbfgs
from ._parameters import Parameters
from ._runner import (
    FullBatchRunner,
    MinibatchRunner,
    activation_error,
    full_batch_objective,
    is_finite,
    predicts_finite,
)
from ._schedules import make_schedule
from ._validation import NoValidation, Validation, split_validation
from ._xp import array_device, array_namespace, numpy_dtype


def _remedies(estimator, solvers):
    """The remedies after "lower it": only the solvers not already in use."""
    others = " or ".join(f"solver={s!r}" for s in solvers if s != estimator.solver)
    scale = ", scale the inputs (e.g. with StandardScaler)"
    return f"{scale}, or use {others}" if others else f" or{scale[1:]}"


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
                diverged = not (np.isfinite(loss) and is_finite(params.flat))
                if diverged and not validation.keeps_best:
                    raise _divergence(
                        self,
                        runner.failed_params(),
                        runner.failed_inputs(),
                        self.n_iter_ + 1,
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
        dtype = params.flat.dtype
        on_host = isinstance(params.flat, np.ndarray)
        if on_host:
            grads = Parameters.zeros(params.architecture, dtype)
        else:
            grads = params.zeros_like()
            xp, device = array_namespace(params.flat), array_device(params.flat)
        evaluate = full_batch_objective(params, X, y, w, self.alpha)

        def to_model(theta):
            """scipy's float64 θ (host) as the model's parameters."""
            if on_host:
                return theta.astype(dtype, copy=False)
            return xp.asarray(theta.astype(numpy_dtype(dtype)), device=device)

        def objective(theta):
            params.flat[...] = to_model(theta)
            loss = evaluate(params, grads)
            if on_host:
                return loss, grads.flat.astype(np.float64)
            gradient = move_to(grads.flat, xp=np, device="cpu")
            return float(loss), gradient.astype(np.float64)

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
            if not on_host:
                iterate = Parameters(params.architecture, to_model(iterate.flat))
            validated = validation.evaluate(iterate.copy(dtype)) is not None
            self._report_epoch(start_time, validated)
            callbacks.begin_epoch()
            if callbacks.end_epoch(iterate):
                raise StopIteration  # a callback asked to stop: scipy ends here

        with np.errstate(all="ignore"):
            theta0 = (
                params.flat if on_host else move_to(params.flat, xp=np, device="cpu")
            )
            result = minimize_lbfgs(
                objective,
                theta0,
                self.max_iter,
                self.tol,
                callback=record,
                max_fun=self.max_fun,
            )
        params.flat[...] = result.x if on_host else to_model(result.x)
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
