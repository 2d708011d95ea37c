"""What both estimators share: input validation, sample weights, the fitted
parameters as views, the public gradient window, and the all-or-nothing guarantee
of ``fit`` and ``partial_fit``. The epoch loops themselves are in ``_training``."""

import copy
from contextlib import contextmanager
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, _fit_context
from sklearn.metrics import get_scorer_names
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import (
    Interval,
    InvalidParameterError,
    StrOptions,
)
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from ._activations import ACTIVATIONS
from ._callbacks import CALLBACK_STATE, CallbackSupportMixin, EpochCallbacks
from ._custom_activations import Activation, check_activation
from ._inputs import check_numpy_input
from ._network import Parameters, glorot_uniform, loss_and_gradients, predict_output
from ._persistence import from_plain_state, to_plain_state
from ._training import TrainingLoopMixin
from ._validation import check_validation_data, check_validation_split

FLOAT_DTYPES = (np.float64, np.float32)
DOC_LINK_TEMPLATE = "https://pypi.org/project/skbackprop/#api-in-brief"
# scikit-learn's MLP names for the output activations
OUT_ACTIVATION_NAMES = {
    "identity": "identity",
    "sigmoid": "logistic",
    "softmax": "softmax",
    "exp": "exp",
}
# The ``activation`` parameter of the estimators with hidden_layer_sizes.
ACTIVATION_CONSTRAINT = [StrOptions(set(ACTIVATIONS)), Activation]


def hidden_widths(estimator):
    """``hidden_layer_sizes`` as a tuple of ints (an int means one layer)."""
    hidden = estimator.hidden_layer_sizes
    hidden = (hidden,) if isinstance(hidden, Integral) else tuple(hidden)
    if not all(isinstance(h, Integral) and h >= 1 for h in hidden):
        raise InvalidParameterError(
            f"The 'hidden_layer_sizes' parameter of {type(estimator).__name__} must "
            "be an int in the range [1, inf) or an array-like of such ints. Got "
            f"{estimator.hidden_layer_sizes!r} instead."
        )
    return tuple(int(h) for h in hidden)


@contextmanager
def _rollback_on_error(estimator):
    """Leave ``estimator`` exactly as it was if the block raises.

    The training code never mutates an object the estimator already holds (it
    works on copies and assigns new ones), so restoring the attribute dict is a
    complete undo.
    """
    saved = dict(estimator.__dict__)
    # A RandomState instance given as random_state is shared, not copied: keep a
    # copy of the model's stream, which a failed call may have advanced, and the
    # state of the user's instance, which a failed call must not advance either.
    saved_rng = copy.deepcopy(saved.get("_rng"))
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
        if saved_rng is not None:
            estimator._rng = saved_rng
        if shared_state is not None:
            shared.set_state(shared_state)
        raise


class BaseBackprop(TrainingLoopMixin, CallbackSupportMixin, BaseEstimator):
    """Training loop and plumbing shared by the two estimators (not public)."""

    # the "?" of the HTML repr: the README's API section, as the package index shows it
    _doc_link_module = "skbackprop"
    _doc_link_template = DOC_LINK_TEMPLATE

    _parameter_constraints: dict = {
        "solver": [StrOptions({"gd", "sgd", "adam", "lbfgs"})],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "scoring": [StrOptions({"loss", *get_scorer_names()}), callable, None],
        "learning_rate_schedule": [
            StrOptions({"constant", "invscaling", "adaptive", "cosine"})
        ],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "nesterovs_momentum": ["boolean"],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
    }

    # -- hooks each estimator provides -------------------------------------------
    def _architecture(self, n_features, n_outputs):
        raise NotImplementedError

    def _encode_targets(self, y, *, first_call, classes=None):
        """Validate y; return it in the loss's encoding and the number of outputs."""
        raise NotImplementedError

    def _target_weights(self, y):
        """Per-sample weight factors derived from y (class weights), or None."""
        return None

    def _validation_score(self, params, X, y, sample_weight):
        raise NotImplementedError

    def _check_params(self, *, incremental=False):
        """Validate the hyper-parameters, on every call that uses them.

        ``_fit_context`` validates ``fit`` and a first ``partial_fit``, but skips a
        ``partial_fit`` on a fitted model, and the gradient window has no context at
        all; ``set_params`` may have changed anything since the last call. Runs
        before any data is looked at or any random number is drawn.
        """
        self._validate_params()
        if incremental and self.early_stopping:
            raise ValueError(
                "partial_fit does not support early_stopping=True: it sees one chunk "
                "at a time and has no held-out set. Set early_stopping=False."
            )
        self._check_derived_params(incremental=incremental)

    def _check_derived_params(self, *, incremental):
        """Checks beyond ``_parameter_constraints`` (a hook; none by default)."""

    def _has_stepping_solver(self):
        if self.solver == "lbfgs":
            raise AttributeError(
                "partial_fit is only available for the stepping solvers 'gd', 'sgd' "
                "and 'adam'; solver='lbfgs' optimises the whole objective in fit."
            )
        return True

    # -- fitted parameters as views of the flat buffer --------------------------
    @property
    def coefs_(self):
        """Weight matrices W_k, shape (fan_in, fan_out): views of the live buffer."""
        return list(self._fitted_params().coefs)

    @property
    def intercepts_(self):
        """Bias vectors b_k, shape (fan_out,): views of the live buffer."""
        return list(self._fitted_params().intercepts)

    def _check_same_architecture(self):
        fitted = self._params.architecture
        wanted = self._architecture(self.n_features_in_, self.n_outputs_)
        if wanted != fitted:
            raise ValueError(
                f"The parameters ask for the network {wanted}, but this model was "
                f"fitted as {fitted}. warm_start and partial_fit continue the fitted "
                "network: refit with warm_start=False to change its architecture."
            )

    def _fitted_params(self):
        try:
            return self.__dict__["_params"]
        except KeyError:
            raise AttributeError(
                f"This {type(self).__name__} instance is not fitted yet: it has no "
                "coefs_ or intercepts_ until fit or partial_fit is called."
            ) from None

    def __sklearn_is_fitted__(self):
        return "_params" in self.__dict__

    def __getstate__(self):
        # plain values only, so that skops trusts everything but the class itself
        return to_plain_state(super().__getstate__())

    def __setstate__(self, state):
        super().__setstate__(from_plain_state(state))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    # -- data --------------------------------------------------------------------
    def _validate_training_data(
        self, X, y, sample_weight, *, reset, classes=None, order=None
    ):
        """``order="C"``: a dense X comes back C-ordered, converted at most once."""
        X, y = validate_data(
            self,
            X,
            y,
            reset=reset,
            accept_sparse=["csr", "csc"],
            dtype=FLOAT_DTYPES if reset else self._params.flat.dtype,
            order=order,
            multi_output=self._multi_output,
            y_numeric=self._y_numeric,
        )
        if sp.issparse(X):
            X = X.tocsr()  # minibatches are row slices
        y_encoded, n_outputs = self._encode_targets(
            y, first_call=reset, classes=classes
        )
        if y_encoded.dtype.kind == "f":
            y_encoded = y_encoded.astype(X.dtype, copy=False)  # no float32 upcast
        w = self._combined_weights(X, y_encoded, sample_weight)
        return X, y, y_encoded, w, n_outputs

    def _combined_weights(self, X, y, sample_weight):
        target_weights = self._target_weights(y)
        if sample_weight is None and target_weights is None:
            return None
        # Combined and summed in float64: the total N = Σ w must be finite in the
        # model's dtype, checked before a float32 cast could overflow.
        w = _check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True, copy=True
        )
        if target_weights is not None:
            w *= target_weights
        with np.errstate(over="ignore"):  # an infinite total is refused below
            total = w.sum()
        if not total > 0:
            raise ValueError(
                "The sample weights sum to zero: at least one sample needs a "
                "positive weight to train on."
            )
        largest = np.finfo(X.dtype).max
        if not total <= largest:
            source = "sample_weight"
            if target_weights is not None:
                source += " times class_weight"
            raise ValueError(
                f"The sample weights ({source}) sum to {total:.3g}, beyond the "
                f"largest {X.dtype} ({largest:.3g}). Rescale sample_weight (e.g. "
                "divide it by its mean): the loss depends on the weights' ratios, "
                "and the L2 term alpha / (2 sum(sample_weight)) on their sum."
            )
        return w.astype(X.dtype, copy=False)

    def _validate_predict_input(self, X):
        check_is_fitted(self)
        check_numpy_input(self, X=X)
        dtype = self._params.flat.dtype  # converted once, straight to the model's
        return validate_data(
            self, X, reset=False, accept_sparse=["csr", "csc"], dtype=dtype
        )

    def _raw_output(self, X):
        """ŷ (regression) or the logits a_L (classification), in the model's dtype."""
        X = self._validate_predict_input(X)
        with np.errstate(over="ignore"):
            return predict_output(self._params, X)

    # -- public window on the gradients -----------------------------------------
    def loss_and_gradients(self, X, y, sample_weight=None):
        """Loss and its gradients at the current weights, L2 term included.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        loss : float
        coef_grads : list of ndarray, shapes as ``coefs_``
        intercept_grads : list of ndarray, shapes as ``intercepts_``
        """
        params, X, y, w = self._objective_inputs(X, y, sample_weight)
        grads = Parameters.zeros(params.architecture, params.flat.dtype)
        loss = loss_and_gradients(params, X, y, w, self.alpha, grads)
        return loss, grads.coefs, grads.intercepts

    def _objective_inputs(self, X, y, sample_weight):
        check_is_fitted(self)
        self._check_params()
        X, _, y, w, _ = self._validate_training_data(X, y, sample_weight, reset=False)
        return self._params, X, y, w

    # -- training ----------------------------------------------------------------
    def _fit(self, X, y, sample_weight, *, incremental, classes=None, validation=None):
        """``validation``: the ``(X_val, y_val, sample_weight_val)`` of the call."""
        X_val, y_val, sample_weight_val = validation or (None, None, None)
        check_numpy_input(
            self,
            "partial_fit" if incremental else "fit",
            X=X,
            y=y,
            sample_weight=sample_weight,
            X_val=X_val,
            y_val=y_val,
            sample_weight_val=sample_weight_val,
        )
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
            self._check_same_architecture()
        splits = self.early_stopping and not incremental and self.solver != "lbfgs"
        splits = splits and X_val is None
        X, y_raw, y, w, n_outputs = self._validate_training_data(
            X,
            y,
            sample_weight,
            reset=first_call,
            classes=classes,
            order="C" if self._gathers_rows(splits=splits) else None,
        )
        if first_call:
            self.n_outputs_ = n_outputs
            architecture = self._architecture(X.shape[1], n_outputs)
            if isinstance(architecture.activation, Activation):
                check_activation(architecture.activation, X.dtype)  # raises if wrong
        validation_data = check_validation_data(
            self, X, X_val, y_val, sample_weight_val
        )
        if splits:
            check_validation_split(self, y)
        # 2. Draw and train.
        if first_call:
            self._rng = check_random_state(self.random_state)
            params = glorot_uniform(architecture, self._rng, X.dtype)
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
            self._rng = copy.deepcopy(self._rng)
            params = self._params.copy()
            self.loss_curve_ = list(self.loss_curve_)
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
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None
        X_val : {array-like, sparse matrix} of shape (n_val, n_features), \
default=None
            Validation data, scored after every epoch: early stopping watches it
            instead of holding out ``validation_fraction``; without early stopping
            its curves are recorded all the same. In a ``Pipeline`` the earlier
            steps do not transform ``X_val`` unless the pipeline is built with
            ``transform_input=["X_val"]``.
        y_val : array-like of shape (n_val,) or (n_val, n_outputs), default=None
        sample_weight_val : array-like of shape (n_val,), default=None
            Weights of the validation loss and score.

        Returns
        -------
        self : object
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
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None
        X_val, y_val, sample_weight_val : default=None
            Validation data: one point is appended to ``validation_loss_curve_``
            and ``validation_scores_`` per call.

        Returns
        -------
        self : object
        """
        with _rollback_on_error(self):
            return self._fit(
                X,
                y,
                sample_weight,
                incremental=True,
                validation=(X_val, y_val, sample_weight_val),
            )
