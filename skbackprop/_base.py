"""What the estimators share: the hyper-parameters' constraints, the hooks each
estimator provides, the fitted parameters as views, persistence as plain values and
the public gradient window. The training methods are in ``_fitting``, the input
validation in ``_inputs``, the epoch loops in ``_training``."""

import copy
from dataclasses import replace
from functools import cache
from numbers import Integral, Real
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, clone, is_classifier
from sklearn.metrics import check_scoring, get_scorer_names
from sklearn.utils._array_api import check_same_namespace
from sklearn.utils._param_validation import (
    Interval,
    InvalidParameterError,
    Options,
    StrOptions,
)
from sklearn.utils.validation import (
    check_is_fitted,
)

from ._activations import ACTIVATIONS
from ._callbacks import CallbackSupportMixin
from ._custom_activations import Activation
from ._fitting import FitMixin
from ._inputs import InputValidationMixin
from ._network import loss_and_gradients, predict_output
from ._optimizers import move_optimizer_state
from ._parameters import Parameters
from ._persistence import from_plain_state, to_plain_state
from ._trace import backprop_trace
from ._training import TrainingLoopMixin
from ._xp import copy_array

# The documentation site's root: the one constant to change when the site is
# published (e.g. to its https:// address). Until then it is the local build of a
# clone, ``docs/_build/html`` beside this package (``python -m sphinx -b html docs
# docs/_build/html``), as a file:// URL.
DOCS_ROOT_URL = (
    Path(__file__).resolve().parents[1] / "docs" / "_build" / "html"
).as_uri() + "/"
# The "?" of the HTML repr: the estimator's page of the API reference. No "#":
# scikit-learn appends its own "#:~:text=" fragment to link each parameter.
DOC_LINK_TEMPLATE = (
    DOCS_ROOT_URL + "api/generated/{estimator_module}.{estimator_name}.html"
)
# The ``activation`` parameter of the estimators with hidden_layer_sizes.
ACTIVATION_CONSTRAINT = [StrOptions(set(ACTIVATIONS)), Activation]


def _unchanged(values, validated):
    """Whether parameter values are those validated last: the same objects (a
    RandomState advances but stays valid), or equal to the copies taken then (a
    dict, list or array may have been changed in place)."""
    if validated is None:
        return False
    for value, (original, copied) in zip(values, validated, strict=True):
        if value is original and not isinstance(value, _MUTABLE):
            continue
        if not _same(value, copied):
            return False
    return True


def _same(value, copied):
    """Equal and of the same types, all the way down: 20.0 == 20 and True == 1
    in Python, but a float batch size or an int for a boolean is invalid."""
    if type(value) is not type(copied):
        return False
    if isinstance(value, (tuple, list)):
        return len(value) == len(copied) and all(map(_same, value, copied))
    if isinstance(value, dict):
        return value.keys() == copied.keys() and all(
            _same(value[key], copied[key]) for key in value
        )
    try:
        return bool(value == copied)
    except Exception:  # arrays, objects whose == fails: validate again
        return False


_MUTABLE = (dict, list, set, np.ndarray)


def _canonical(architecture):
    """The architecture with its activation's aliases resolved ("logistic" is
    "sigmoid"): continuing a network under another name of its activation is no
    change of architecture."""
    activation = architecture.activation
    if isinstance(activation, str):
        activation = ACTIVATIONS[activation].name
    return replace(architecture, activation=activation)


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


@cache
def _param_names(cls):
    return super(BaseBackprop, cls)._get_param_names()


class BaseBackprop(
    FitMixin,
    InputValidationMixin,
    TrainingLoopMixin,
    CallbackSupportMixin,
    BaseEstimator,
):
    """Training loop and plumbing shared by the two estimators (not public)."""

    # the "?" of the HTML repr: the estimator's API page (DOC_LINK_TEMPLATE)
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
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        # np.inf: never stop on the loss (scikit-learn's MLP accepts it too)
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
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

    @classmethod
    def _get_param_names(cls):
        # scikit-learn reads them off __init__'s signature, on every call
        return _param_names(cls)

    # -- hooks each estimator provides -------------------------------------------
    def _architecture(self, n_features, n_outputs):
        raise NotImplementedError

    def _encode_targets(self, y, *, first_call, classes=None, part=False):
        """Validate y; return it in the loss's encoding and the number of outputs.

        ``part=True``: y is one chunk of the targets; conditions on the whole y
        (a positive sum) are checked by the caller over all chunks."""
        raise NotImplementedError

    def _stratify_labels(self, y):
        """What early stopping's held-out split is stratified by (None: not)."""
        return None

    def _check_refit_targets(self, y):
        """Raise if a warm-started ``fit`` is given a y the model cannot continue
        on (none by default)."""

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
        # Validated values are remembered: a streaming partial_fit would otherwise
        # pay scikit-learn's validation, several times its chunk's compute, on
        # every chunk (set_params may change anything between calls: see
        # ``_unchanged``).
        values = tuple(self.__dict__.get(name) for name in self._get_param_names())
        if not _unchanged(values, self.__dict__.get("_validated_params")):
            self._validate_params()
            self._check_scoring_method()
            try:
                copies = copy.deepcopy(values)
            except Exception:  # a value that cannot be copied: validate every call
                self.__dict__.pop("_validated_params", None)
            else:
                self._validated_params = list(zip(values, copies, strict=True))
        if incremental and self.early_stopping:
            raise ValueError(
                "partial_fit does not support early_stopping=True: it sees one chunk "
                "at a time and has no held-out set. Set early_stopping=False."
            )
        self._check_derived_params(incremental=incremental)

    def _check_scoring_method(self):
        """A scorer name whose response method this estimator lacks (e.g.
        ``"neg_log_loss"``, which needs ``predict_proba``, on a regressor) is
        refused now, not by an AttributeError after the first epoch."""
        if not isinstance(self.scoring, str) or self.scoring == "loss":
            return
        methods = getattr(check_scoring(self, self.scoring), "_response_method", ())
        methods = (methods,) if isinstance(methods, str) else tuple(methods)
        if methods and not any(hasattr(self, m) for m in methods):
            raise ValueError(
                f"scoring={self.scoring!r} needs {' or '.join(methods)}, which "
                f"{type(self).__name__} does not have. Choose a scorer for "
                f"{'classifiers' if is_classifier(self) else 'regressors'} (or "
                "None, the estimator's score, or 'loss')."
            )

    def _check_derived_params(self, *, incremental):
        """Checks beyond ``_parameter_constraints`` (a hook; none by default)."""

    # -- fitted parameters as views of the flat buffer --------------------------
    @property
    def coefs_(self):
        """Weight matrices W_k, shape (fan_in, fan_out): views of the live buffer.

        Writing into them changes the model.

        Examples
        --------
        >>> import numpy as np
        >>> from skbackprop import TwoLayerSigmoidRegressor
        >>> X = np.linspace(-1, 1, 20).reshape(-1, 1)
        >>> y = X.ravel() ** 2
        >>> reg = TwoLayerSigmoidRegressor(hidden_size=4, solver="lbfgs",
        ...                                random_state=0).fit(X, y)
        >>> [W.shape for W in reg.coefs_]
        [(1, 4), (4, 1)]
        """
        return list(self._fitted_params().coefs)

    @property
    def intercepts_(self):
        """Bias vectors b_k, shape (fan_out,): views of the live buffer.

        Writing into them changes the model.

        Examples
        --------
        >>> import numpy as np
        >>> from skbackprop import TwoLayerSigmoidRegressor
        >>> X = np.linspace(-1, 1, 20).reshape(-1, 1)
        >>> y = X.ravel() ** 2
        >>> reg = TwoLayerSigmoidRegressor(hidden_size=4, solver="lbfgs",
        ...                                random_state=0).fit(X, y)
        >>> [b.shape for b in reg.intercepts_]
        [(4,), (1,)]
        """
        return list(self._fitted_params().intercepts)

    def _check_same_architecture(self):
        fitted = self._params.architecture
        wanted = self._architecture(self.n_features_in_, self.n_outputs_)
        if _canonical(wanted) != _canonical(fitted):
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
        state = super().__getstate__()
        state.pop("_validated_params", None)  # a cache, which may hold callables
        return to_plain_state(state)

    def __setstate__(self, state):
        super().__setstate__(from_plain_state(state))

    def __sklearn_array_api_convert__(self, converter):
        """This model with its arrays moved by ``converter`` (scikit-learn's
        ``move_estimator_to(est, xp, device)`` calls it): the flat parameter buffer
        once, its ``coefs_``/``intercepts_`` views rebuilt over the moved buffer,
        and the optimizer's state, so ``partial_fit`` continues there. Labels
        (``classes_``) stay numpy, as scikit-learn keeps them."""
        moved = clone(self)
        for key, value in vars(self).items():
            if key == "_params":
                flat = converter(value.flat)
                if flat is value.flat:  # already there: a copy all the same
                    flat = copy_array(flat)
                value = Parameters(value.architecture, flat)
            elif key == "_optimizer" and value is not None:
                value = move_optimizer_state(value, converter)
            else:
                value = copy.deepcopy(value)
            setattr(moved, key, value)
        return moved

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.array_api_support = True  # X's namespace and device (SPEC §7.2)
        return tags

    @property
    def _fitted_flat(self):
        """The flat parameter buffer: its namespace and device are the model's."""
        return self._params.flat

    def _raw_output(self, X, method):
        """ŷ (regression) or the logits a_L (classification), in the model's dtype."""
        X = self._validate_predict_input(X, method)
        with np.errstate(over="ignore"):
            return predict_output(self._params, X)

    # -- public window on the gradients -----------------------------------------
    def loss_and_gradients(self, X, y, sample_weight=None):
        """Loss and its gradients at the current weights, L2 term included.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The samples.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Their targets (class labels for the classifier).
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample in the loss (None: all 1).

        Returns
        -------
        loss : float
            The training objective: data term plus L2 term.
        coef_grads : list of ndarray
            ∂loss/∂W_k, shapes as ``coefs_``.
        intercept_grads : list of ndarray
            ∂loss/∂b_k, shapes as ``intercepts_``.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before ``fit`` or ``partial_fit``.

        Examples
        --------
        >>> import numpy as np
        >>> from skbackprop import TwoLayerSigmoidRegressor
        >>> X = np.linspace(-1, 1, 20).reshape(-1, 1)
        >>> y = X.ravel() ** 2
        >>> reg = TwoLayerSigmoidRegressor(hidden_size=4, solver="lbfgs",
        ...                                random_state=0).fit(X, y)
        >>> loss, coef_grads, intercept_grads = reg.loss_and_gradients(X, y)
        >>> [g.shape for g in coef_grads]
        [(1, 4), (4, 1)]
        """
        params, X, y, w = self._objective_inputs(
            X, y, sample_weight, method="loss_and_gradients"
        )
        grads = params.zeros_like()  # in the model's namespace, on its device
        loss = loss_and_gradients(params, X, y, w, self.alpha, grads)
        return float(loss), grads.coefs, grads.intercepts

    def backprop_trace(self, X, y, sample_weight=None):
        """Every layer's a_k, h_k, δ_k and gradients at the current weights.

        Recorded by the same forward and backward pass as ``loss_and_gradients``
        (its gradients are those, bit for bit), each quantity labelled with the
        equations of ``docs/derivations.md`` that produce it. The estimator is
        not changed.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The samples.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Their targets (class labels for the classifier).
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample in the loss (None: all 1).

        Returns
        -------
        BackpropTrace
            ``trace.loss`` and ``trace.layers`` (k = 1 … L); ``print(trace)`` shows
            a table of shapes, norms and equations.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before ``fit`` or ``partial_fit``.

        Examples
        --------
        >>> import numpy as np
        >>> from skbackprop import TwoLayerSigmoidRegressor
        >>> X = np.linspace(-1, 1, 20).reshape(-1, 1)
        >>> y = X.ravel() ** 2
        >>> reg = TwoLayerSigmoidRegressor(hidden_size=4, solver="lbfgs",
        ...                                random_state=0).fit(X, y)
        >>> trace = reg.backprop_trace(X[:5], y[:5])
        >>> [layer.delta.shape for layer in trace.layers]
        [(5, 4), (5, 1)]
        """
        params, X, y, w = self._objective_inputs(
            X, y, sample_weight, method="backprop_trace"
        )
        return backprop_trace(params, X, y, w, self.alpha, type(self).__name__)

    def _objective_inputs(self, X, y, sample_weight, method):
        check_is_fitted(self)
        check_same_namespace(X, self, attribute="_fitted_flat", method=method)
        self._check_params()
        X, _, y, w, _ = self._validate_training_data(X, y, sample_weight, reset=False)
        return self._params, X, y, w
