"""The classifiers' labels: ``classes_``, their encoding for the loss, the checks of
``classes=``, the per-sample factors of ``class_weight``, and ``partial_fit``.

y comes in one of three kinds (``_y_kind_``): "binary" and "multiclass" label
vectors, and "multilabel", an indicator matrix (n_samples, n_labels) of 0/1 — as
scikit-learn's ``type_of_target`` sees them. Each classifier says how it encodes
class indices for its output (``_encode_classes``) and whether it takes a
multilabel y (``_multilabel``).
"""

from numbers import Real

import numpy as np
from sklearn import config_context
from sklearn.base import _fit_context
from sklearn.metrics import accuracy_score
from sklearn.preprocessing import label_binarize
from sklearn.utils._array_api import move_to
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import (
    check_classification_targets,
    type_of_target,
    unique_labels,
)

from ._fitting import FitMixin, _rollback_on_error
from ._inputs import input_namespace, to_host
from ._xp import array_device, array_namespace

_KIND_TEXT = {True: "a multilabel indicator matrix", False: "a 1-D y of labels"}


def label_kind(y):
    """ "binary", "multiclass" or "multilabel" for a validated classification y."""
    check_classification_targets(y)
    target_type = type_of_target(y)
    if target_type == "multilabel-indicator":
        return "multilabel"
    if y.ndim == 2:
        raise ValueError(
            f"y is a 2-D array of {target_type} targets, one label per column: the "
            "classifier takes a 1-D y of labels or a multilabel indicator matrix "
            "of 0/1. Wrap it in sklearn.multioutput.MultiOutputClassifier for "
            "several multiclass outputs."
        )
    return "binary" if target_type == "binary" else "multiclass"


def _integer_vector(y):
    """Whether y is a 1-D numpy array of integers or booleans."""
    return isinstance(y, np.ndarray) and y.ndim == 1 and y.dtype.kind in "biu"


def labels_of(classes, indices):
    """``classes[indices]``; outside numpy on the indices' device when the labels
    are numbers (strings stay numpy, on the host)."""
    if isinstance(indices, np.ndarray):
        return classes[indices]
    if classes.dtype.kind not in "biuf":
        return classes[move_to(indices, xp=np, device="cpu")]
    xp = array_namespace(indices)
    return xp.take(xp.asarray(classes, device=array_device(indices)), indices)


def accuracy_on_host(estimator, X, y, sample_weight):
    """``ClassifierMixin.score``; outside numpy the predicted labels (y-sized) are
    compared on the host, so the score is exactly numpy's."""
    y_pred = estimator.predict(X)
    if input_namespace(X) is None:
        return float(accuracy_score(y, y_pred, sample_weight=sample_weight))
    y, y_pred, sample_weight = (to_host(a) for a in (y, y_pred, sample_weight))
    with config_context(array_api_dispatch=False):
        return float(accuracy_score(y, y_pred, sample_weight=sample_weight))


class LabelMixin:
    """The label hooks of the classifiers (see ``BaseBackprop``)."""

    _multi_output = True  # 2-D y is validated here: a column is a label vector
    _y_numeric = False
    _multilabel = False  # whether an indicator y is accepted

    def _refuse_multilabel(self):
        raise NotImplementedError

    def _encode_classes(self, indices):
        """The loss's encoding of class indices, and the number of outputs."""
        raise NotImplementedError

    def _check_derived_params(self, *, incremental):
        if isinstance(self.class_weight, dict):
            weights = list(self.class_weight.values())
            if not all(
                isinstance(v, Real) and not isinstance(v, bool) and 0 <= v < np.inf
                for v in weights
            ):
                raise ValueError(
                    "class_weight must map each class to a finite, non-negative "
                    f"number, got {self.class_weight!r}; give a class weight 0 to "
                    "ignore that class."
                )
        if incremental and self.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' needs the whole y and is not supported "
                "by partial_fit; pass a dict, e.g. computed once with "
                "sklearn.utils.class_weight.compute_class_weight."
            )

    @staticmethod
    def _check_classes(classes):
        """The labels of ``classes=``: a 1-D array-like of at least 2 labels."""
        labels = np.asarray(classes)
        if labels.ndim != 1:
            raise ValueError(
                "classes must be a 1-D array-like of labels, e.g. np.unique(y); got "
                f"an array of shape {labels.shape}."
            )
        check_classification_targets(labels)
        labels = np.unique(labels)
        if len(labels) < 2:
            raise ValueError(
                f"classes={classes!r} lists {len(labels)} label(s), but the "
                "classifier needs at least 2: pass every label the model will see."
            )
        return labels

    def _stratify_labels(self, y):
        # on scikit-learn's label-binarized y (a boolean column for two classes,
        # one-hot rows for more), as its MLPClassifier; a multilabel indicator y
        # is not stratified
        if y.ndim == 2:
            return None
        return label_binarize(y, classes=self.classes_).astype(bool)

    def _check_refit_targets(self, y):
        # scikit-learn's MLPClassifier: a warm start continues the same classes
        labels = unique_labels(y)
        if set(labels) != set(self.classes_):
            raise ValueError(
                "warm_start can only be used where `y` has the same classes as in "
                f"the previous call to fit. Previously got {self.classes_}, `y` has "
                f"{labels}. Refit with warm_start=False to train on other classes "
                "(partial_fit takes a y with some of the classes)."
            )

    def _encode_targets(self, y, *, first_call, classes=None, part=False):
        fitted_kind = getattr(self, "_y_kind_", "multiclass")  # 0.2 models: none
        if not first_call and fitted_kind != "multilabel" and _integer_vector(y):
            # integer labels for a fitted model of labels: checked against
            # classes_ below; scikit-learn's type_of_target costs more than a
            # 200-row partial_fit step
            kind = fitted_kind
        else:
            kind = label_kind(y)
        if kind == "multilabel" and not self._multilabel:
            self._refuse_multilabel()
        if not first_call and (kind == "multilabel") != (fitted_kind == "multilabel"):
            raise ValueError(
                f"y is {_KIND_TEXT[kind == 'multilabel']}, but this model was "
                f"fitted on {_KIND_TEXT[fitted_kind == 'multilabel']}; refit "
                "(warm_start=False) to change the kind of problem."
            )
        if kind == "multilabel":
            return self._encode_indicator(y, first_call=first_call, classes=classes)
        if classes is not None:
            labels = self._check_classes(classes)
        if first_call:
            if classes is None:
                # one class is fitted, as scikit-learn's MLPClassifier does: a
                # binary problem whose targets are all 0 (softmax: one unit)
                labels = np.unique(y)
            self.classes_ = labels
            self._y_kind_ = "binary" if len(labels) <= 2 else "multiclass"
        elif classes is not None and not np.array_equal(labels, self.classes_):
            raise ValueError(
                f"classes={classes!r} differs from the classes of the first "
                f"partial_fit call, {self.classes_!r}."
            )
        unknown = np.setdiff1d(y, self.classes_)
        if unknown.size:
            raise ValueError(
                f"y contains labels {unknown!r} not in classes {self.classes_!r}; "
                "pass every class in `classes=` on the first partial_fit call."
            )
        return self._encode_classes(np.searchsorted(self.classes_, y))

    def _encode_indicator(self, y, *, first_call, classes):
        """A multilabel y: one 0/1 column per label, labels 0 … n_labels − 1
        (``classes_``, as scikit-learn's ``LabelBinarizer``). The columns name
        the labels: ``classes=`` is required on a first ``partial_fit`` but not
        read, as in scikit-learn's ``MLPClassifier``."""
        n_labels = y.shape[1]
        if first_call:
            self.classes_ = np.arange(n_labels)
            self._y_kind_ = "multilabel"
        elif n_labels != len(self.classes_):
            raise ValueError(
                f"y has {n_labels} label columns but this model was fitted with "
                f"{len(self.classes_)}; refit (warm_start=False) to change them."
            )
        return y.astype(np.float64), n_labels

    def _target_weights(self, y):
        if self.class_weight is None:
            return None
        if getattr(self, "_y_kind_", None) == "multilabel":
            raise ValueError(
                "class_weight is not supported for a multilabel y: each sample has "
                "several labels, so a weight per class gives no weight per sample. "
                "Pass per-sample weights as sample_weight instead."
            )
        if y.ndim == 2:  # one logistic column: 1.0 for classes_[1]
            y = y[:, 0].astype(np.intp)
        if self.class_weight == "balanced":
            # over the classes present in this y (a subset in warm_start or a check)
            present = np.unique(y)
            per_class = np.zeros(len(self.classes_))
            per_class[present] = compute_class_weight("balanced", classes=present, y=y)
        else:
            labels = self.classes_
            per_class = compute_class_weight(
                self.class_weight, classes=labels, y=labels[y]
            )
        return per_class[y]

    @available_if(FitMixin._has_stepping_solver)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(
        self,
        X,
        y,
        sample_weight=None,
        *,
        classes=None,
        X_val=None,
        y_val=None,
        sample_weight_val=None,
    ):
        """One epoch over (X, y) (gd: one full-batch step), continuing the optimizer.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            One chunk of training inputs.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Labels of the chunk, or a multilabel indicator matrix where the
            classifier takes one.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample in the loss (None: all 1).
        classes : array-like of shape (n_classes,), default=None
            Every class the model will ever see; required on the first call.
            For a multilabel y the columns are the labels and ``classes`` is not
            read (as scikit-learn's ``MLPClassifier``).
        X_val : {array-like, sparse matrix} of shape (n_val, n_features), \
default=None
            Validation data: one point is appended to ``validation_loss_curve_``
            and ``validation_scores_`` per call.
        y_val : array-like of shape (n_val,) or (n_val, n_labels), default=None
            Labels of ``X_val``; given together with it.
        sample_weight_val : array-like of shape (n_val,), default=None
            Weights of the validation loss and score.

        Returns
        -------
        object
            The classifier (``self``), trained one more epoch.

        Raises
        ------
        ValueError
            Without ``classes`` on the first call, with labels not in
            ``classes``, on invalid data or when training diverges; the
            estimator is then left as it was before the call.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from skbackprop import SoftmaxMLPClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = SoftmaxMLPClassifier(hidden_layer_sizes=4, random_state=0)
        >>> clf = clf.partial_fit(X[:50], y[:50], classes=[0, 1, 2])
        >>> clf.partial_fit(X[50:], y[50:]).t_  # samples seen
        150
        """
        with _rollback_on_error(self):
            if not self.__sklearn_is_fitted__() and classes is None:
                raise ValueError(
                    "classes must be passed on the first call to partial_fit "
                    "(every label the model will see, e.g. classes=np.unique(y))."
                )
            return self._fit(
                X,
                y,
                sample_weight,
                incremental=True,
                classes=classes,
                validation=(X_val, y_val, sample_weight_val),
            )
