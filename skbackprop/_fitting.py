"""``fit`` and ``partial_fit``: the all-or-nothing training call, which checks
everything before drawing, initialises or continues the network, runs the epoch
loop of ``_training`` and commits the result into the fitted buffer."""

import copy
from contextlib import contextmanager

import numpy as np
from sklearn.base import _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._array_api import check_same_namespace, move_to
from sklearn.utils.metaestimators import available_if

from ._callbacks import CALLBACK_STATE, EpochCallbacks
from ._custom_activations import Activation, check_activation, check_activation_in
from ._dask import (
    check_model_on_host,
    gather_validation_data,
    is_dask_collection,
    validate_dask_training_data,
)
from ._inputs import input_namespace, to_host
from ._parameters import glorot_uniform
from ._validation import check_validation_data, check_validation_split
from ._xp import numpy_dtype

# scikit-learn's MLP names for the output activations
OUT_ACTIVATION_NAMES = {
    "identity": "identity",
    "sigmoid": "logistic",
    "softmax": "softmax",
    "exp": "exp",
}


@contextmanager
def _rollback_on_error(estimator):
    """Leave ``estimator`` exactly as it was if the block raises.

    The training code never mutates an object the estimator already holds, with
    two exceptions this undoes: it appends to the fitted curves (lists: copying
    them on every ``partial_fit`` would cost a streaming run time quadratic in its
    calls), and a first call may draw from a ``RandomState`` the user passed as
    ``random_state``. Everything else is restored by restoring the attribute dict.
    """
    saved = dict(estimator.__dict__)
    curves = {  # the fitted lists (loss_curve_, …), never a parameter's
        name: len(v)
        for name, v in saved.items()
        if type(v) is list and name.endswith("_") and not name.startswith("_")
    }
    # A RandomState instance given as random_state is shared, not copied: a
    # failed call must not advance it. (The model's own stream is copied before
    # a continued call draws from it, see ``_continue_stream``.)
    shared = estimator.random_state
    shared_state = (
        shared.get_state() if isinstance(shared, np.random.RandomState) else None
    )
    try:
        yield
    except BaseException:
        callbacks = {k: v for k, v in vars(estimator).items() if k in CALLBACK_STATE}
        estimator.__dict__.clear()
        estimator.__dict__.update(saved, **callbacks)
        for name, length in curves.items():
            del saved[name][length:]
        if shared_state is not None:
            shared.set_state(shared_state)
        raise


class FitMixin:
    """The training methods of ``BaseBackprop``."""

    def _has_stepping_solver(self):
        if self.solver == "lbfgs":
            raise AttributeError(
                "partial_fit is only available for the stepping solvers 'gd', 'sgd' "
                "and 'adam'; solver='lbfgs' optimises the whole objective in fit."
            )
        return True

    def _continue_stream(self, n_samples, *, incremental, splits):
        """Copy the model's random stream when this call will draw from it, so
        that a failure leaves the old stream as it was. Copying costs more than a
        whole 200-row epoch, and a call that neither shuffles several batches nor
        splits (a streaming ``partial_fit`` on chunks of one batch) never draws."""
        shuffles = self.solver in ("sgd", "adam") and self.shuffle
        if splits or (shuffles and self._batch_size(n_samples) < n_samples):
            self._rng = copy.deepcopy(self._rng)

    def _fit(self, X, y, sample_weight, *, incremental, classes=None, validation=None):
        """``validation``: the ``(X_val, y_val, sample_weight_val)`` of the call."""
        X_val, y_val, sample_weight_val = validation or (None, None, None)
        # Everything follows X: numpy X takes the numpy path, whatever the rest;
        # any other namespace computes there, on X's device (``_inputs``).
        # A Dask collection keeps its model in numpy on the client, whatever its
        # chunks (each worker computes in its chunk's namespace, ``_dask``); y
        # and the weights are chunked alike, the validation data scored here.
        on_dask = is_dask_collection(X)
        namespace = None if on_dask else input_namespace(X)
        if on_dask:
            pass
        elif namespace is None:
            y, sample_weight = to_host(y), to_host(sample_weight)
            X_val, y_val = to_host(X_val), to_host(y_val)
            sample_weight_val = to_host(sample_weight_val)
        else:
            y_val = to_host(y_val)  # encoded on the host, as y
            if X_val is not None:
                X_val = move_to(X_val, xp=namespace[0], device=namespace[1])
        # 1. Everything that can fail is checked before the first random draw:
        #    hyper-parameters, data, validation data, and whether the validation
        #    split can be made.
        self._check_params(incremental=incremental)
        first_call = not self.__sklearn_is_fitted__() or not (
            incremental or self.warm_start
        )
        if first_call:
            # A new model: forget everything a previous fit left behind.
            for name in list(self.__dict__):
                if name.endswith("_") and not name.startswith("__"):
                    del self.__dict__[name]
            self.__dict__.pop("_params", None)
        else:
            # continuing a model: X must be of its namespace and device (on
            # Dask: the model must be numpy's, whatever the chunks)
            method = "partial_fit" if incremental else "fit"
            if on_dask:
                check_model_on_host(self, method)
            else:
                check_same_namespace(X, self, attribute="_fitted_flat", method=method)
            self._check_same_architecture()
        splits = self.early_stopping and not incremental and self.solver != "lbfgs"
        splits = splits and X_val is None
        if on_dask:  # data-parallel training over its chunks
            X, y_raw, y, w, n_outputs = validate_dask_training_data(
                self,
                X,
                y,
                sample_weight,
                reset=first_call,
                classes=classes,
                incremental=incremental,
                splits=splits,
                refit=not first_call and not incremental,
            )
        else:
            X, y_raw, y, w, n_outputs = self._validate_training_data(
                X,
                y,
                sample_weight,
                reset=first_call,
                classes=classes,
                order="C" if self._gathers_rows(splits=splits) else None,
                refit=not first_call and not incremental,
            )
        X_val, y_val, sample_weight_val = gather_validation_data(
            X_val, y_val, sample_weight_val
        )
        if on_dask:  # scored on the client, by its numpy model
            X_val, y_val = to_host(X_val), to_host(y_val)
            sample_weight_val = to_host(sample_weight_val)
        if first_call:
            self.n_outputs_ = n_outputs
            architecture = self._architecture(X.shape[1], n_outputs)
            if isinstance(architecture.activation, Activation):
                check_activation(architecture.activation, numpy_dtype(X.dtype))
            if namespace is not None:
                check_activation_in(architecture.activation, X)
        validation_data = check_validation_data(
            self, X, X_val, y_val, sample_weight_val, y
        )
        if splits:
            check_validation_split(self, y_raw)  # on the host: y as given
        # 2. Draw and train.
        if first_call:
            self._rng = check_random_state(self.random_state)
            # drawn in numpy, so every namespace starts from numpy's weights
            params = glorot_uniform(architecture, self._rng, numpy_dtype(X.dtype))
            if namespace is not None:
                params = params.moved_to(*namespace)
            self.n_layers_ = len(architecture.layer_sizes)
            self.out_activation_ = OUT_ACTIVATION_NAMES[architecture.output_activation]
            self.t_ = 0
            self.loss_curve_ = []
            self.learning_rate_curve_ = []
            self.validation_loss_curve_ = None
            self.best_loss_ = np.inf
            self.validation_scores_ = None
            self.best_validation_score_ = None
            self._no_improvement_count = 0
            self._optimizer = self._schedule = None
        else:
            # Work on copies so that a failure leaves the old model untouched.
            self._continue_stream(X.shape[0], incremental=incremental, splits=splits)
            params = self._params.copy()
            if self.best_loss_ is None:  # the previous fit stopped early
                self.best_loss_ = np.inf
        max_epochs = 1 if incremental else self.max_iter
        callbacks = EpochCallbacks(self, max_epochs, X, y_raw, sample_weight)
        if self.solver == "lbfgs":
            self._fit_lbfgs(params, X, y, w, validation_data, callbacks)
        else:
            self._fit_stochastic(
                params,
                X,
                y,
                y_raw,
                w,
                validation_data,
                callbacks,
                incremental=incremental,
            )
        previous = None if first_call else self._params
        self._params = params
        callbacks.end(params)
        if previous is not None:
            # Commit into the fitted buffer: coefs_ views handed out earlier stay live.
            previous.flat[...] = params.flat
            self._params = previous
        return self

    # -- the public training methods (an estimator adds only its docstring's
    #    specifics, or partial_fit's classes=) ---------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(
        self,
        X,
        y,
        sample_weight=None,
        *,
        X_val=None,
        y_val=None,
        sample_weight_val=None,
    ):
        """Fit the network to (X, y); ``warm_start=True`` continues training.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training inputs; float32 input trains in float32.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets: class labels for the classifier, values for a regressor.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample in the loss (None: all 1).
        X_val : {array-like, sparse matrix} of shape (n_val, n_features), \
default=None
            Validation data, scored after every epoch: early stopping watches it
            instead of holding out ``validation_fraction``; without early stopping
            its curves are recorded all the same. In a ``Pipeline`` the earlier
            steps do not transform ``X_val`` unless the pipeline is built with
            ``transform_input=["X_val"]``.
        y_val : array-like of shape (n_val,) or (n_val, n_outputs), default=None
            Targets of ``X_val``; given together with it.
        sample_weight_val : array-like of shape (n_val,), default=None
            Weights of the validation loss and score.

        Returns
        -------
        object
            The fitted estimator (``self``).

        Raises
        ------
        ValueError
            On invalid data or a training run that diverges; the estimator is
            then left as it was before the call.
        sklearn.utils._param_validation.InvalidParameterError
            On a hyper-parameter of the wrong type or range.

        Examples
        --------
        >>> import numpy as np
        >>> from skbackprop import TwoLayerSigmoidRegressor
        >>> X = np.linspace(-1, 1, 20).reshape(-1, 1)
        >>> reg = TwoLayerSigmoidRegressor(hidden_size=4, solver="lbfgs",
        ...                                random_state=0)
        >>> reg.fit(X, X.ravel() ** 2).n_iter_ > 0
        True
        """
        with _rollback_on_error(self):
            return self._fit(
                X,
                y,
                sample_weight,
                incremental=False,
                validation=(X_val, y_val, sample_weight_val),
            )

    @available_if(_has_stepping_solver)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(
        self,
        X,
        y,
        sample_weight=None,
        *,
        X_val=None,
        y_val=None,
        sample_weight_val=None,
    ):
        """One epoch over (X, y) (gd: one full-batch step), continuing the optimizer.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            One chunk of training inputs.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets of the chunk.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample in the loss (None: all 1).
        X_val : {array-like, sparse matrix} of shape (n_val, n_features), \
default=None
            Validation data: one point is appended to ``validation_loss_curve_``
            and ``validation_scores_`` per call.
        y_val : array-like of shape (n_val,) or (n_val, n_outputs), default=None
            Targets of ``X_val``; given together with it.
        sample_weight_val : array-like of shape (n_val,), default=None
            Weights of the validation loss and score.

        Returns
        -------
        object
            The estimator (``self``), trained one more epoch.

        Raises
        ------
        ValueError
            On invalid data, on ``early_stopping=True``, or when training
            diverges; the estimator is then left as it was before the call.

        Examples
        --------
        >>> import numpy as np
        >>> from skbackprop import TwoLayerSigmoidRegressor
        >>> X = np.linspace(-1, 1, 20).reshape(-1, 1)
        >>> reg = TwoLayerSigmoidRegressor(hidden_size=4, random_state=0)
        >>> for _ in range(3):
        ...     reg = reg.partial_fit(X, X.ravel() ** 2)
        >>> reg.t_  # samples seen: 3 epochs of 20
        60
        """
        with _rollback_on_error(self):
            return self._fit(
                X,
                y,
                sample_weight,
                incremental=True,
                validation=(X_val, y_val, sample_weight_val),
            )
