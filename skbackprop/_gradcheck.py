"""check_gradients: the manual gradients against central finite differences."""

import copy
from dataclasses import dataclass, field
from numbers import Real

import numpy as np
import scipy.sparse as sp
from sklearn.utils._array_api import move_to
from sklearn.utils._param_validation import (
    Interval,
    validate_parameter_constraints,
)

from ._network import loss_and_gradients
from ._parameters import Parameters
from ._xp import array_namespace


@dataclass
class GradientCheckReport:
    """Result of :func:`check_gradients`.

    Made by :func:`check_gradients`, not by hand; each parameter is kept as the
    attribute of the same name, and ``print(report)`` lists the error of each
    parameter array.

    Parameters
    ----------
    loss : float
        The loss at the checked weights.
    max_relative_error : float
        The largest of ``relative_errors``.
    relative_errors : dict of str to float
        For each parameter array (``"coefs_[0]"``, ``"intercepts_[0]"``, …),
        ``‖g − ĝ‖ / (‖g‖ + ‖ĝ‖)``, g the manual gradient and ĝ the
        finite-difference one.
    max_absolute_error : float
        ``max |g − ĝ|`` over every parameter.
    analytic : ndarray of shape (n_parameters,)
        The manual gradient g, every parameter array flattened in turn.
    numeric : ndarray of shape (n_parameters,)
        The central finite-difference gradient ĝ, laid out as ``analytic``.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from skbackprop import SoftmaxMLPClassifier, check_gradients
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = SoftmaxMLPClassifier(hidden_layer_sizes=3, solver="lbfgs",
    ...                            random_state=0).fit(X, y)
    >>> report = check_gradients(clf, X[:10], y[:10])
    >>> sorted(report.relative_errors)
    ['coefs_[0]', 'coefs_[1]', 'intercepts_[0]', 'intercepts_[1]']
    """

    loss: float
    max_relative_error: float
    relative_errors: dict
    max_absolute_error: float
    analytic: np.ndarray = field(repr=False)
    numeric: np.ndarray = field(repr=False)

    def __str__(self):
        lines = [f"loss = {self.loss:.10g}"]
        width = max(len(name) for name in self.relative_errors)
        for name, error in self.relative_errors.items():
            lines.append(f"  {name:<{width}}  relative error {error:.2e}")
        lines.append(
            f"max relative error {self.max_relative_error:.2e}, "
            f"max absolute error {self.max_absolute_error:.2e}"
        )
        return "\n".join(lines)


def _relative_error(analytic, numeric):
    scale = np.linalg.norm(analytic) + np.linalg.norm(numeric)
    return float(np.linalg.norm(analytic - numeric) / max(scale, np.finfo(float).tiny))


def _as_float64(a):
    """A float array as float64 (in its own namespace); integer labels as given."""
    if a is None:
        return None
    if isinstance(a, np.ndarray) or sp.issparse(a):
        return a.astype(np.float64) if a.dtype.kind == "f" else a
    xp = array_namespace(a)
    if not xp.isdtype(a.dtype, "real floating"):
        return a
    return xp.astype(a, xp.float64)


def check_gradients(estimator, X, y, sample_weight=None, eps=1e-6):
    """Compare ``loss_and_gradients`` with central finite differences.

    The analytic side is what the estimator reports: its own
    ``loss_and_gradients`` method (a subclass that changes it is checked too),
    called on a float64 copy of the model. For every parameter θ_i:
    ĝ_i = (L(θ + ε e_i) − L(θ − ε e_i)) / 2ε, computed in float64 whatever the
    estimator's dtype.

    Parameters
    ----------
    estimator : estimator
        A fitted (or ``partial_fit``-initialised) skbackprop estimator; it is
        not changed.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        The samples the loss is computed on.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Their targets (class labels for the classifier).
    sample_weight : array-like of shape (n_samples,), default=None
        Weight of each sample in the loss (None: all 1).
    eps : float, default=1e-6
        The finite-difference step ε, a positive finite number.

    Returns
    -------
    GradientCheckReport
        The relative error of each parameter array and the largest of them.

    Raises
    ------
    sklearn.utils._param_validation.InvalidParameterError
        If ``eps`` is not a positive finite number, or a parameter of the
        estimator is invalid.
    sklearn.exceptions.NotFittedError
        If the estimator is not fitted.

    See Also
    --------
    check_activation : The same check for an activation's derivative.

    Examples
    --------
    >>> import numpy as np
    >>> from skbackprop import TwoLayerSigmoidRegressor, check_gradients
    >>> X = np.linspace(-1, 1, 10).reshape(-1, 1)
    >>> reg = TwoLayerSigmoidRegressor(hidden_size=3, solver="lbfgs",
    ...                                random_state=0).fit(X, X.ravel() ** 2)
    >>> check_gradients(reg, X, X.ravel() ** 2).max_relative_error < 1e-6
    True
    """
    # Not the validate_params decorator: it would report the estimator's own
    # invalid parameters as parameters of check_gradients.
    validate_parameter_constraints(
        {"eps": [Interval(Real, 0, None, closed="neither")]},
        {"eps": eps},
        caller_name="check_gradients",
    )
    params, X_checked, y_checked, w = estimator._objective_inputs(
        X, y, sample_weight, method="check_gradients"
    )
    params = params.copy(np.float64)
    on_host = isinstance(params.flat, np.ndarray)
    # 1. The analytic gradients, as the estimator reports them, at float64.
    twin = copy.copy(estimator)
    twin.__dict__["_params"] = params
    loss, coef_grads, intercept_grads = twin.loss_and_gradients(X, y, sample_weight)
    grads = Parameters.zeros(params.architecture, np.float64)
    for mine, theirs in zip(
        grads.coefs + grads.intercepts, coef_grads + intercept_grads, strict=True
    ):
        if mine.flags.writeable:  # without intercepts the b_k are fixed zeros
            mine[...] = theirs if on_host else move_to(theirs, xp=np, device="cpu")
    # 2. The numeric gradients: central differences of the loss (outside numpy,
    #    on the model's device, one loss read back per evaluation).
    X, y, w = (_as_float64(a) for a in (X_checked, y_checked, w))
    alpha = estimator.alpha
    scratch = params.zeros_like()
    theta = params.flat
    numeric = np.empty(theta.shape[0], dtype=np.float64)
    for i in range(theta.shape[0]):
        saved = theta[i] if on_host else float(theta[i])
        theta[i] = saved + eps
        loss_plus = loss_and_gradients(params, X, y, w, alpha, scratch)
        theta[i] = saved - eps
        loss_minus = loss_and_gradients(params, X, y, w, alpha, scratch)
        theta[i] = saved
        numeric[i] = (float(loss_plus) - float(loss_minus)) / (2 * eps)
    numeric_views = Parameters(params.architecture, numeric)

    errors = {}
    for kind in ("coefs", "intercepts"):
        if kind == "intercepts" and not params.architecture.fit_intercept:
            continue
        for k, (g, g_hat) in enumerate(
            zip(getattr(grads, kind), getattr(numeric_views, kind), strict=True)
        ):
            errors[f"{kind}_[{k}]"] = _relative_error(g, g_hat)
    return GradientCheckReport(
        loss=float(loss),
        max_relative_error=max(errors.values()),
        relative_errors=errors,
        max_absolute_error=float(np.abs(grads.flat - numeric).max()),
        analytic=grads.flat.copy(),
        numeric=numeric,
    )
