"""The estimators' input: training data, sample weights and prediction input,
validated once into the model's dtype (``InputValidationMixin``).

And the input they refuse before scikit-learn's validation sees it: with
``sklearn.set_config(array_api_dispatch=True)`` scikit-learn validates an array in
its own namespace (torch, CuPy, array_api_strict, …), and asking it for a numpy
dtype fails deep inside with an obscure ``TypeError``. The network computes in
numpy: say so, and how to hand it numpy arrays.
"""

import numpy as np
import scipy.sparse as sp
from sklearn import get_config
from sklearn.utils._array_api import _is_numpy_namespace, get_namespace
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

FLOAT_DTYPES = (np.float64, np.float32)


def check_numpy_input(estimator, method=None, **arrays):
    """Raise a ``TypeError`` for a non-numpy array under array API dispatch.

    ``arrays`` maps each argument's name to its value (None, lists, pandas and
    scipy sparse input pass: scikit-learn converts them to numpy).
    """
    if not get_config()["array_api_dispatch"]:
        return
    caller = type(estimator).__name__ + ("" if method is None else f".{method}")
    for name, value in arrays.items():
        if value is None or sp.issparse(value):
            continue
        try:
            xp, _ = get_namespace(value)
        except TypeError:  # a scalar: scikit-learn's validation takes it from here
            continue
        if _is_numpy_namespace(xp):
            continue
        raise TypeError(
            f"{caller} computes in numpy, but {name} is not a numpy array (it is "
            f"{type(value).__module__}.{type(value).__name__}, array namespace "
            f"{getattr(xp, '__name__', xp)!r}) and array_api_dispatch is on. Pass "
            f"numpy arrays: np.asarray({name}) (for a torch tensor on a GPU, "
            f"{name}.cpu().numpy()), or call sklearn.set_config("
            "array_api_dispatch=False) around this estimator."
        )


class InputValidationMixin:
    """Validation of X, y and sample weights for ``BaseBackprop``."""

    def _validate_training_data(
        self, X, y, sample_weight, *, reset, classes=None, order=None, part=False
    ):
        """``order="C"``: a dense X comes back C-ordered, converted at most once.

        ``part=True``: (X, y) is one chunk of the training data, whose weights
        may sum to zero (the total over all chunks is checked by the caller)."""
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
        y = self._labels_as_vector(y)
        y_encoded, n_outputs = self._encode_targets(
            y, first_call=reset, classes=classes, part=part
        )
        if y_encoded.dtype.kind == "f":
            y_encoded = y_encoded.astype(X.dtype, copy=False)  # no float32 upcast
        w = self._combined_weights(X, y_encoded, sample_weight, part=part)
        return X, y, y_encoded, w, n_outputs

    def _labels_as_vector(self, y):
        """A classifier's column of labels (n_samples, 1) as a 1-D y, with
        scikit-learn's ``DataConversionWarning`` (a regressor keeps its y)."""
        if not self._y_numeric and y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        return y

    def _combined_weights(self, X, y, sample_weight, *, part=False):
        target_weights = self._target_weights(y)
        if sample_weight is None and target_weights is None:
            return None
        # Combined and summed in float64: the total N = Σ w must be finite in the
        # model's dtype, checked before a float32 cast could overflow.
        w = _check_sample_weight(
            sample_weight,
            X,
            dtype=np.float64,
            ensure_non_negative=True,
            copy=True,
            allow_all_zero_weights=part,
        )
        if target_weights is not None:
            w *= target_weights
        with np.errstate(over="ignore"):  # an infinite total is refused below
            total = w.sum()
        if not (total > 0 or part):
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
