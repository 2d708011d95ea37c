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
        self,
        X,
        y,
        sample_weight,
        *,
        reset,
        classes=None,
        order=None,
        refit=False,
        part=False,
    ):
        """``order="C"``: a dense X comes back C-ordered, converted at most once;
        ``refit``: a warm-started ``fit``, whose y must fit the fitted model.

        ``part=True``: (X, y) is one chunk of the training data, whose weights
        may sum to zero (the total over all chunks is checked by the caller).

        Outside numpy (``input_namespace``), y is validated and encoded on the
        host and moved, encoded, to X's namespace and device with the weights;
        such an X always takes the full validation path."""
        namespace = input_namespace(X)
        if namespace is not None:
            y, sample_weight = to_host(y), to_host(sample_weight)
        plain = None if reset else self._plain_training_arrays(X, y, order)
        if plain is not None:
            X, y = plain
        else:
            X, y = self._validated_training_arrays(
                X, y, reset=reset, order=order, namespace=namespace
            )
        y = self._labels_as_vector(y)
        if refit:
            self._check_refit_targets(y)
        y_encoded, n_outputs = self._encode_targets(
            y, first_call=reset, classes=classes, part=part
        )
        if y_encoded.dtype.kind == "f":  # no float32 upcast
            y_encoded = y_encoded.astype(_host_stand_in(X).dtype, copy=False)
        w = self._combined_weights(X, y_encoded, sample_weight, part=part)
        if namespace is not None:
            y_encoded = move_to(y_encoded, xp=namespace[0], device=namespace[1])
        return X, y, y_encoded, w, n_outputs

    def _plain_training_arrays(self, X, y, order):
        """(X, y) when they are numpy arrays that ``validate_data(reset=False)``
        would return unchanged, without warning; else None.

        scikit-learn's validation costs several times the compute of a 200-row
        ``partial_fit`` chunk. A continued call with arrays already in the
        model's dtype and layout needs only these checks; anything else (lists,
        frames, sparse, another dtype, non-finite values) takes the full path and
        its messages.
        """
        if type(X) is not np.ndarray or type(y) is not np.ndarray:
            return None
        if "feature_names_in_" in self.__dict__ or X.ndim != 2 or X.shape[0] < 1:
            return None  # (an array for a model fitted on a frame warns)
        if X.dtype != self._params.flat.dtype or X.shape[1] != self.n_features_in_:
            return None
        if order == "C" and not X.flags.c_contiguous:
            return None
        if y.shape[0] != X.shape[0] or y.dtype.kind not in "biuf":
            return None
        if not (y.ndim == 1 or (y.ndim == 2 and self._multi_output)):
            return None
        with np.errstate(over="ignore"):  # a huge sum just takes the full path
            if not (np.isfinite(X.sum()) and np.isfinite(y.sum())):
                return None
        return X, y

    def _validated_training_arrays(self, X, y, *, reset, order, namespace=None):
        """(X, y) through scikit-learn's ``validate_data``, X's sparse format CSR;
        outside numpy X in its namespace's float dtypes."""
        dtype = FLOAT_DTYPES if reset else self._params.flat.dtype
        if namespace is not None and reset:
            xp = namespace[0]
            dtype = [xp.float64, xp.float32]
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
        return X, y

    def _labels_as_vector(self, y):
        """A classifier's column of labels (n_samples, 1) as a 1-D y, with
        scikit-learn's ``DataConversionWarning`` (a regressor keeps its y)."""
        if not self._y_numeric and y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        return y

    def _combined_weights(self, X, y, sample_weight, *, part=False):
        """The weights Σ-checked on the host, in X's dtype, namespace and device."""
        namespace = input_namespace(X)
        w = self._combined_weights_on_host(
            _host_stand_in(X), y, to_host(sample_weight), part=part
        )
        if namespace is not None and w is not None:
            w = move_to(w, xp=namespace[0], device=namespace[1])
        return w

    def _combined_weights_on_host(self, X, y, sample_weight, *, part=False):
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

    def _validate_predict_input(self, X, method):
        check_is_fitted(self)
        check_same_namespace(X, self, attribute="_fitted_flat", method=method)
        dtype = self._params.flat.dtype  # converted once, straight to the model's
        return validate_data(
            self, X, reset=False, accept_sparse=["csr", "csc"], dtype=dtype
        )
