"""SoftmaxMLPClassifier: an L-layer network with a softmax output (seed 003)."""

from numbers import Integral

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.utils._param_validation import Interval, StrOptions

from ._activations import log_softmax, softmax
from ._base import ACTIVATION_CONSTRAINT, BaseBackprop, hidden_widths
from ._docstrings import shared_docstring
from ._labels import LabelMixin, accuracy_on_host, labels_of
from ._network import predict_output
from ._parameters import Architecture
from ._xp import array_namespace


@shared_docstring(score="accuracy")
class SoftmaxMLPClassifier(ClassifierMixin, LabelMixin, BaseBackprop):
    """Multi-layer perceptron with a softmax output, trained by manual backprop.

    ``h_k = g(h_{k−1} W_k + b_k)`` for the hidden layers, ``ŷ = softmax(a_L)``,
    minimising the mean cross-entropy ``−log ŷ_l`` plus ``α/(2N) Σ ‖W‖²``. Binary
    problems use a two-unit softmax as well: this is the seed-003 network, kept
    to read beside its derivation (SPEC §1 conventions). For scikit-learn's
    ``MLPClassifier`` conventions — one logistic unit for two classes, a
    multilabel y — use :class:`BackpropMLPClassifier`.

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
        ``n_samples / (n_classes · count(class))`` (not with ``partial_fit``).
    {shared_parameters}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels, sorted.
    coefs_ : list of ndarray
        ``coefs_[k]``, of shape (fan_in, fan_out), the weights of layer k + 1;
        views of the live parameters (writing into them changes the model).
    intercepts_ : list of ndarray
        ``intercepts_[k]``, of shape (fan_out,), the biases of layer k + 1;
        views of the live parameters.
    out_activation_ : str
        ``"softmax"``, binary problems included.
    {shared_attributes}

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from skbackprop import SoftmaxMLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = SoftmaxMLPClassifier(hidden_layer_sizes=8, solver="lbfgs",
    ...                            random_state=0).fit(X, y)
    >>> clf.predict_proba(X[:1]).shape
    (1, 3)
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

    def _refuse_multilabel(self):
        raise ValueError(
            "SoftmaxMLPClassifier is the seed-003 softmax network: its outputs sum "
            "to 1, one class per sample, so it cannot fit a multilabel indicator y. "
            "Use BackpropMLPClassifier, which fits one logistic output per label "
            "as scikit-learn's MLPClassifier does."
        )

    def _encode_classes(self, indices):
        return indices, len(self.classes_)  # one softmax unit per class, two included

    def _architecture(self, n_features, n_outputs):
        return Architecture(
            layer_sizes=(n_features, *hidden_widths(self), n_outputs),
            activation=self.activation,
            output_activation="softmax",
        )

    def _validation_score(self, params, X, y, sample_weight):
        logits = predict_output(params, X)
        if not isinstance(logits, np.ndarray):
            xp = array_namespace(logits)
            hits = xp.astype(xp.argmax(logits, axis=1) == y, logits.dtype)
            if sample_weight is None:
                return float(xp.mean(hits))
            return float(xp.sum(hits * sample_weight) / xp.sum(sample_weight))
        hits = logits.argmax(axis=1) == y
        return float(np.average(hits, weights=sample_weight))

    def score(self, X, y, sample_weight=None):
        """Mean accuracy of ``predict(X)`` against y, weighted by ``sample_weight``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float
        """
        return accuracy_on_host(self, X, y, sample_weight)

    def decision_function(self, X):
        """The logits a_L; for two classes ``a_L[:, 1] − a_L[:, 0]`` (1-D).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The samples.

        Returns
        -------
        ndarray of shape (n_samples, n_classes) or (n_samples,)
            The output layer's pre-activations, one column per class in the order
            of ``classes_``; their difference for two classes.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from skbackprop import SoftmaxMLPClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = SoftmaxMLPClassifier(hidden_layer_sizes=4, solver="lbfgs",
        ...                            random_state=0).fit(X, y)
        >>> clf.decision_function(X[:2]).shape
        (2, 3)
        """
        logits = self._raw_output(X, "decision_function")
        return logits[:, 1] - logits[:, 0] if len(self.classes_) == 2 else logits

    def predict(self, X):
        """The most probable class of each sample.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The samples.

        Returns
        -------
        ndarray of shape (n_samples,)
            The predicted labels, taken from ``classes_``.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from skbackprop import SoftmaxMLPClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = SoftmaxMLPClassifier(hidden_layer_sizes=4, solver="lbfgs",
        ...                            random_state=0).fit(X, y)
        >>> clf.predict(X[:2])
        array([0, 0])
        """
        logits = self._raw_output(X, "predict")
        if isinstance(logits, np.ndarray):
            return self.classes_[logits.argmax(axis=1)]
        return labels_of(self.classes_, array_namespace(logits).argmax(logits, axis=1))

    def predict_proba(self, X):
        """Predict class probabilities softmax(a_L), columns ordered as ``classes_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The samples.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            The probability of each class; each row sums to 1.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from skbackprop import SoftmaxMLPClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = SoftmaxMLPClassifier(hidden_layer_sizes=4, solver="lbfgs",
        ...                            random_state=0).fit(X, y)
        >>> clf.predict_proba(X[:2]).sum(axis=1).round(6)
        array([1., 1.])
        """
        return softmax(self._raw_output(X, "predict_proba"))

    def predict_log_proba(self, X):
        """Predict log-probabilities log softmax(a_L), from the logits (never log(0)).

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
        >>> from skbackprop import SoftmaxMLPClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = SoftmaxMLPClassifier(hidden_layer_sizes=4, solver="lbfgs",
        ...                            random_state=0).fit(X, y)
        >>> clf.predict_log_proba(X[:2]).shape
        (2, 3)
        """
        return log_softmax(self._raw_output(X, "predict_log_proba"))
