"""What the two regressors share: y as one column per output, R² as the
validation score, and predictions shaped like the ``y`` seen in fit."""

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score

from ._base import BaseBackprop
from ._network import predict_output
from ._xp import array_namespace


class BackpropRegressorBase(RegressorMixin, BaseBackprop):
    """Base of ``TwoLayerSigmoidRegressor`` and ``BackpropMLPRegressor`` (not
    public); each adds its conditions on y in ``_check_targets``."""

    _multi_output = True
    _y_numeric = True

    def _check_targets(self, y2d, *, part=False):
        """The estimator's own conditions on y (n_samples, n_outputs); returns it.
        ``part``: y is one chunk, see ``_encode_targets``."""
        return y2d

    def _encode_targets(self, y, *, first_call, classes=None, part=False):
        y2d = y.reshape(-1, 1) if y.ndim == 1 else y
        if y2d.dtype.kind != "f":  # int or bool targets: regress on their values
            y2d = y2d.astype(np.float64)
        if first_call:
            self._y_ndim = y.ndim
        elif y2d.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {y2d.shape[1]} output(s) but this model was fitted with "
                f"{self.n_outputs_}; refit (warm_start=False) to change them."
            )
        y2d = self._check_targets(y2d, part=part)
        return y2d, y2d.shape[1]

    def _validation_score(self, params, X, y, sample_weight):
        return float(
            r2_score(y, predict_output(params, X), sample_weight=sample_weight)
        )

    def predict(self, X):
        """Predict targets; the shape follows the ``y`` seen in fit.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The samples.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predictions, 1-D when ``fit`` was given a 1-D ``y``.

        Examples
        --------
        >>> import numpy as np
        >>> from skbackprop import BackpropMLPRegressor
        >>> X = np.linspace(-1, 1, 20).reshape(-1, 1)
        >>> reg = BackpropMLPRegressor(hidden_layer_sizes=4, solver="lbfgs",
        ...                            random_state=0).fit(X, 2 * X.ravel())
        >>> reg.predict(X[:3]).shape
        (3,)
        """
        y_pred = self._raw_output(X, "predict")
        if self._y_ndim != 1:
            return y_pred
        if isinstance(y_pred, np.ndarray):
            return y_pred.ravel()
        return array_namespace(y_pred).reshape(y_pred, (-1,))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
