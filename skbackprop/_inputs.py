"""The estimators' input: training data, sample weights and prediction input,
validated once into the model's dtype (``InputValidationMixin``).

With ``sklearn.set_config(array_api_dispatch=True)`` an X of another array API
namespace (torch, CuPy, array_api_strict, …) is validated in that namespace and
the model computes there, on X's device ("everything follows X"): y and the
sample weights are encoded and combined on the host, as numpy (they are y-sized,
as the label encoding needs them there), and moved to X's device.
"""

import numpy as np
import scipy.sparse as sp
from sklearn import get_config
from sklearn.utils._array_api import (
    _is_numpy_namespace,
    check_same_namespace,
    get_namespace,
    get_namespace_and_device,
    move_to,
)
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from ._xp import numpy_dtype

FLOAT_DTYPES = (np.float64, np.float32)


def input_namespace(X):
    """``(xp, device)`` of X when array API dispatch is on and X is an array of a
    namespace other than numpy; None for the numpy path (sparse X included)."""
    if not get_config()["array_api_dispatch"] or X is None or sp.issparse(X):
        return None
    try:
        xp, _, device = get_namespace_and_device(X)
    except TypeError:
        return None
    if _is_numpy_namespace(xp):
        return None
    return xp, device


def to_host(value):
    """A non-numpy array as a numpy array on the host; anything else as given."""
    if value is None or isinstance(value, np.ndarray) or sp.issparse(value):
        return value
    try:
        xp, _ = get_namespace(value)
    except TypeError:
        return value
    if _is_numpy_namespace(xp) or not hasattr(value, "shape"):
        return value
    return move_to(value, xp=np, device="cpu")


def _host_stand_in(X):
    """An empty numpy array with X's rows and X's float dtype, for the checks of
    y and weights that look only at those (X itself stays on its device)."""
    if isinstance(X, np.ndarray) or sp.issparse(X):
        return X
    return np.empty((X.shape[0], 0), dtype=numpy_dtype(X.dtype))


class InputValidationMixin:
    """Validation of X, y and sample weights for ``BaseBackprop``."""

    def _validate_training_data(
        self, X, y, sample_weight, *, reset, classes=None, order=None
    ):
        """``order="C"``: a dense X comes back C-ordered, converted at most once.

        Outside numpy (``input_namespace``), y is validated and encoded on the
        host and moved, encoded, to X's namespace and device with the weights."""
        namespace = input_namespace(X)
        dtype = FLOAT_DTYPES if reset else self._params.flat.dtype
        if namespace is not None:
            xp = namespace[0]
            dtype = [xp.float64, xp.float32] if reset else dtype
            y, sample_weight = to_host(y), to_host(sample_weight)
        X, y = validate_data(
            self,
            X,
            y,
            reset=reset,
            accept_sparse=["csr", "csc"],
            dtype=dtype,
            order=order,
            multi_output=self._multi_output,
            y_numeric=self._y_numeric,
        )
        if sp.issparse(X):
            X = X.tocsr()  # minibatches are row slices
        y = self._labels_as_vector(y)
        y_encoded, n_outputs = self._encode_targets(
            y, first_call=reset, classes=classes
        )
        if y_encoded.dtype.kind == "f":  # no float32 upcast
            y_encoded = y_encoded.astype(_host_stand_in(X).dtype, copy=False)
        w = self._combined_weights(X, y_encoded, sample_weight)
        if namespace is not None:
            y_encoded = move_to(y_encoded, xp=namespace[0], device=namespace[1])
        return X, y, y_encoded, w, n_outputs

    def _labels_as_vector(self, y):
        """A classifier's column of labels (n_samples, 1) as a 1-D y, with
        scikit-learn's ``DataConversionWarning`` (a regressor keeps its y)."""
        if not self._y_numeric and y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        return y

    def _combined_weights(self, X, y, sample_weight):
        """The weights Σ-checked on the host, in X's dtype, namespace and device."""
        namespace = input_namespace(X)
        w = self._combined_weights_on_host(_host_stand_in(X), y, to_host(sample_weight))
        if namespace is not None and w is not None:
            w = move_to(w, xp=namespace[0], device=namespace[1])
        return w

    def _combined_weights_on_host(self, X, y, sample_weight):
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

    def _validate_predict_input(self, X, method):
        check_is_fitted(self)
        check_same_namespace(X, self, attribute="_fitted_flat", method=method)
        dtype = self._params.flat.dtype  # converted once, straight to the model's
        return validate_data(
            self, X, reset=False, accept_sparse=["csr", "csc"], dtype=dtype
        )
