"""BackpropMLPClassifier: scikit-learn's ``MLPClassifier`` on the manual gradients."""

from numbers import Integral

import numpy as np
from scipy.special import log_expit
from sklearn.base import ClassifierMixin
from sklearn.utils._param_validation import Interval, StrOptions

from ._activations import log_softmax, softmax
from ._base import ACTIVATION_CONSTRAINT, BaseBackprop, hidden_widths
from ._docstrings import shared_docstring
from ._labels import LabelMixin, accuracy_on_host, labels_of
from ._network import output_preactivation
from ._parameters import Architecture
from ._xp import array_namespace, array_ops, special_ops


@shared_docstring(score="accuracy")
class BackpropMLPClassifier(ClassifierMixin, LabelMixin, BaseBackprop):
    """Multi-layer perceptron classifier, trained by manual backprop.

    scikit-learn's ``MLPClassifier`` on hand-derived gradients, with its output
    conventions: ``h_k = g(h_{k−1} W_k + b_k)`` for the hidden layers, then

    - two classes: **one** logistic unit ``ŷ = σ(a_L)``, the probability of
      ``classes_[1]``, and the binary cross-entropy;
    - more classes: ``ŷ = softmax(a_L)`` and the cross-entropy ``−log ŷ_l``;
    - a multilabel indicator y (n_samples, n_labels): one logistic unit per label
      and the binary cross-entropy summed over the labels;

    averaged over the samples, plus ``α/(2N) Σ ‖W‖²`` — the loss values
    scikit-learn reports, so ``loss_curve_`` compares one to one, and
    ``coefs_``/``intercepts_`` move between the two libraries unchanged.

    ``learning_rate`` is scikit-learn's ``learning_rate_init`` and
    ``learning_rate_schedule`` its ``learning_rate``. With ``scoring=None`` the
    validation score is accuracy (subset accuracy for a multilabel y); the
    early-stopping split is stratified for one output unit (two classes) only,
    as scikit-learn's, so the same ``random_state`` holds out the same rows.

    Parameters
    ----------
    hidden_layer_sizes : int or tuple of int, default=(100,)
        Widths of the hidden layers (an int means one layer).
    activation : str or Activation, default="relu"
        Hidden activation g: "identity", "sigmoid" (alias "logistic"), "tanh",
        "relu", "leaky_relu", "elu", "softplus", "gelu", "silu", or a user's
        :class:`Activation` pair (checked by :func:`check_activation` when the
        network is created).
    class_weight : dict, "balanced" or None, default=None
        Weights per class, multiplied into ``sample_weight``; "balanced" uses
        ``n_samples / (n_classes · count(class))`` (not with ``partial_fit``). Not
        for a multilabel y, where a sample has several labels: ``fit`` raises a
        ``ValueError``; give per-sample weights as ``sample_weight`` instead.
    {shared_parameters}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The labels; for a multilabel y, ``0 … n_labels − 1``.
    coefs_ : list of ndarray
        ``coefs_[k]``, of shape (fan_in, fan_out), the weights of layer k + 1;
        views of the live parameters (writing into them changes the model).
    intercepts_ : list of ndarray
        ``intercepts_[k]``, of shape (fan_out,), the biases of layer k + 1;
        views of the live parameters.
    out_activation_ : str
        ``"logistic"`` (binary, multilabel) or ``"softmax"`` (multiclass).
    {shared_attributes}

    Examples
    --------
    >>> from sklearn.datasets import make_multilabel_classification
    >>> from skbackprop import BackpropMLPClassifier
    >>> X, Y = make_multilabel_classification(60, 8, n_classes=3, random_state=0)
    >>> clf = BackpropMLPClassifier(hidden_layer_sizes=8, solver="lbfgs",
    ...                             random_state=0).fit(X, Y)
    >>> clf.out_activation_, clf.predict_proba(X[:1]).shape
    ('logistic', (1, 3))
    """

    _parameter_constraints: dict = {
        **BaseBackprop._parameter_constraints,
        "hidden_layer_sizes": [
            Interval(Integral, 1, None, closed="left"),
            "array-like",
        ],
        "activation": ACTIVATION_CONSTRAINT,
        "class_weight": [StrOptions({"balanced"}), dict, None],
    }
    _multilabel = True

    def __init__(
        self,
        *,
        hidden_layer_sizes=(100,),
        activation="relu",
        class_weight=None,
        solver="adam",
        learning_rate=0.001,
        batch_size="auto",
        max_iter=200,
        tol=1e-4,
        n_iter_no_change=10,
        max_fun=15000,
        alpha=1e-4,
        momentum=0.9,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        early_stopping=False,
        validation_fraction=0.1,
        scoring=None,
        learning_rate_schedule="constant",
        power_t=0.5,
        nesterovs_momentum=True,
        shuffle=True,
        random_state=None,
        warm_start=False,
        verbose=0,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.class_weight = class_weight
        self.solver = solver
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.alpha = alpha
        self.momentum = momentum
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.scoring = scoring
        self.learning_rate_schedule = learning_rate_schedule
        self.power_t = power_t
        self.nesterovs_momentum = nesterovs_momentum
        self.shuffle = shuffle
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose

    # -- the hooks: scikit-learn's output for each kind of y ------------------------
    def _encode_classes(self, indices):
        if self._y_kind_ == "binary":  # one logistic unit: 1.0 for classes_[1]
            return (indices == 1).astype(np.float64)[:, np.newaxis], 1
        return indices, len(self.classes_)

    def _architecture(self, n_features, n_outputs):
        softmax_output = self._y_kind_ == "multiclass"
        return Architecture(
            layer_sizes=(n_features, *hidden_widths(self), n_outputs),
            activation=self.activation,
            output_activation="softmax" if softmax_output else "sigmoid",
            loss="cross_entropy" if softmax_output else "binary_cross_entropy",
        )

    def _validation_score(self, params, X, y, sample_weight):
        logits = output_preactivation(params, X)
        if not isinstance(logits, np.ndarray):
            xp = array_namespace(logits)
            if y.ndim == 1:
                hits = xp.argmax(logits, axis=1) == y
            elif self._y_kind_ == "binary":
                hits = self._binary_indices(logits) == xp.astype(y[:, 0], xp.int64)
            else:
                hits = xp.all((logits > 0) == (y > 0.5), axis=1)
            hits = xp.astype(hits, logits.dtype)
            if sample_weight is None:
                return float(xp.mean(hits))
            return float(xp.sum(hits * sample_weight) / xp.sum(sample_weight))
        if y.ndim == 1:
            hits = logits.argmax(axis=1) == y
        elif self._y_kind_ == "binary":
            hits = self._binary_indices(logits) == y[:, 0]
        else:  # all labels right
            hits = ((logits > 0) == (y > 0.5)).all(axis=1)
        return float(np.average(hits, weights=sample_weight))

    def _stratify_labels(self, y):
        # scikit-learn's MLPClassifier stratifies the split only for one output
        # unit (two classes, or one), not a softmax or a multilabel y: the same
        # here, so that a random_state holds out the same rows in both
        return super()._stratify_labels(y) if self.n_outputs_ == 1 else None

    def _binary_indices(self, logits):
        """The ``classes_`` index a logistic unit predicts (σ(a) > ½); a single
        class, fitted on targets that are all 0 as in scikit-learn, is always
        the one predicted."""
        if not isinstance(logits, np.ndarray):
            xp = array_namespace(logits)
            positive = xp.astype(logits[:, 0] > 0, xp.int64)
            return positive if len(self.classes_) > 1 else xp.zeros_like(positive)
        return np.minimum(logits[:, 0] > 0, len(self.classes_) - 1)

    def _logits(self, X, method):
        X = self._validate_predict_input(X, method)
        return output_preactivation(self._params, X)

    def score(self, X, y, sample_weight=None):
        """Mean accuracy of ``predict(X)`` against y (subset accuracy for a
        multilabel y), weighted by ``sample_weight``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float
        """
        return accuracy_on_host(self, X, y, sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

    # -- prediction ------------------------------------------------------------------
    def decision_function(self, X):
        """The logits a_L: 1-D for two classes (positive for ``classes_[1]``).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The samples.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The output layer's pre-activations.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from skbackprop import BackpropMLPClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = BackpropMLPClassifier(hidden_layer_sizes=4, solver="lbfgs",
        ...                             random_state=0).fit(X, y)
        >>> clf.decision_function(X[:2]).shape
        (2, 3)
        """
        logits = self._logits(X, "decision_function")
        return logits[:, 0] if self._y_kind_ == "binary" else logits

    def predict(self, X):
        """Predict the most probable class; multilabel: each label with σ(a) > ½.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The samples.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_labels)
            Labels, or a 0/1 indicator matrix for a multilabel y.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from skbackprop import BackpropMLPClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = BackpropMLPClassifier(hidden_layer_sizes=4, solver="lbfgs",
        ...                             random_state=0).fit(X, y)
        >>> clf.predict(X[:2])
        array([0, 0])
        """
        logits = self._logits(X, "predict")
        if not isinstance(logits, np.ndarray):  # on the model's device
            xp = array_namespace(logits)
            if self._y_kind_ == "multiclass":
                return labels_of(self.classes_, xp.argmax(logits, axis=1))
            if self._y_kind_ == "multilabel":
                return xp.astype(logits > 0, xp.int64)
            return labels_of(self.classes_, self._binary_indices(logits))
        if self._y_kind_ == "multiclass":
            return self.classes_[logits.argmax(axis=1)]
        if self._y_kind_ == "multilabel":
            return (logits > 0).astype(int)  # σ(a) > ½
        return self.classes_[self._binary_indices(logits)]

    def predict_proba(self, X):
        """Predict class probabilities: binary (n, 2), softmax, multilabel σ(a).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The samples.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``; for a multilabel y the
            probability of each label (rows need not sum to 1).

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from skbackprop import BackpropMLPClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = BackpropMLPClassifier(hidden_layer_sizes=4, solver="lbfgs",
        ...                             random_state=0).fit(X, y)
        >>> clf.predict_proba(X[:2]).shape
        (2, 3)
        """
        return self._proba_of_logits(self._logits(X, "predict_proba"))

    def _proba_of_logits(self, logits):
        if self._y_kind_ == "multiclass":
            return softmax(logits)
        ops = special_ops(logits)
        if self._y_kind_ == "binary":  # [σ(−a), σ(a)]: no 1 − σ(a) cancellation
            return ops.expit(_both_sides(logits))
        return ops.expit(logits)

    def predict_log_proba(self, X):
        """Predict the log of ``predict_proba``, never log(0).

        ``log(predict_proba(X))`` as scikit-learn's, so that the two rank the
        classes alike (ties included, where probabilities round to 1); where a
        probability underflows to 0, log σ(a) = −softplus(−a) (log softmax) from
        the logits instead of −inf.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The samples.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            The log-probability of each class, columns as ``classes_``.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from skbackprop import BackpropMLPClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = BackpropMLPClassifier(hidden_layer_sizes=4, solver="lbfgs",
        ...                             random_state=0).fit(X, y)
        >>> clf.predict_log_proba(X[:2]).shape
        (2, 3)
        """
        logits = self._logits(X, "predict_log_proba")
        if not isinstance(logits, np.ndarray):  # on the model's device
            if self._y_kind_ == "multiclass":
                return log_softmax(logits)
            if self._y_kind_ == "binary":
                logits = _both_sides(logits)
            return -array_ops(logits).logaddexp(0.0, -logits)  # −softplus(−a)
        proba = self._proba_of_logits(logits)
        if self._y_kind_ == "multiclass":
            from_logits = log_softmax(logits)
        elif self._y_kind_ == "binary":
            from_logits = log_expit(_both_sides(logits))
        else:
            from_logits = log_expit(logits)
        with np.errstate(divide="ignore"):
            return np.where(proba > 0, np.log(proba), from_logits)


def _both_sides(logits):
    """[−a, a] side by side: the two classes' logits of one logistic unit."""
    if isinstance(logits, np.ndarray):
        return np.hstack([-logits, logits])
    return array_namespace(logits).concat([-logits, logits], axis=1)
