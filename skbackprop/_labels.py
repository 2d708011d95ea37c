"""The classifier's labels: ``classes_``, their encoding as indices for the loss,
the checks of ``classes=`` and the per-sample factors of ``class_weight``."""

from numbers import Real

import numpy as np
from sklearn import config_context
from sklearn.metrics import accuracy_score
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets

from ._inputs import input_namespace, to_host


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
    """The label hooks of ``SoftmaxMLPClassifier`` (see ``BaseBackprop``)."""

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

    def _encode_targets(self, y, *, first_call, classes=None):
        check_classification_targets(y)
        if classes is not None:
            labels = self._check_classes(classes)
        if first_call:
            if classes is None:
                labels = np.unique(y)
                if len(labels) < 2:
                    raise ValueError(
                        "The classifier needs samples of at least 2 classes in the "
                        "data, but the data contains only one class: "
                        f"{labels[0]!r}."
                    )
            self.classes_ = labels
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
        return np.searchsorted(self.classes_, y), len(self.classes_)

    def _target_weights(self, y):
        if self.class_weight is None:
            return None
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
