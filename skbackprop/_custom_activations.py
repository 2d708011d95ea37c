"""User-defined activations as checked pairs, and the one lookup the network uses.

A user's ``Activation(function, derivative)`` becomes the same ``LayerActivation``
the built-ins are, so it takes exactly their path through ``forward``/``backward``;
its derivative reads the pre-activation a, which the network then keeps.
"""

from dataclasses import dataclass

import numpy as np
from sklearn.utils._array_api import move_to
from sklearn.utils._param_validation import (
    InvalidParameterError,
    StrOptions,
    validate_params,
)

from ._activations import ACTIVATIONS, LayerActivation, _add_bias_inplace
from ._xp import array_device, array_namespace

CHECK_TOLERANCE = 1e-5
# 1200 points 0.01 apart from −5.995 to 5.995: none is an integer, where kinks sit
CHECK_GRID = np.linspace(-5.995, 5.995, 1200)
_CHECK_STEP = 1e-6  # central differences in float64: error ~ step² + ε/step
_ABSOLUTE_BELOW = 1e-3  # where |g'| < 1e-3 the error is measured absolutely


@dataclass(frozen=True)
class Activation:
    """A hidden activation g given as a pair: the function and its derivative.

    Parameters
    ----------
    function : callable
        ``function(a)`` returns g(a) elementwise: an array of a's shape, in a's
        float dtype.
    derivative : callable
        ``derivative(a, z)`` returns g'(a), given the pre-activation ``a`` and the
        output ``z = g(a)`` (so ``lambda a, z: z * (1 - z)`` is the sigmoid's).
    name : str, default=None
        Shown in messages and reports; the function's name when None.

    Notes
    -----
    Module-level functions make an estimator that pickles; lambdas and nested
    functions work for training but cannot be pickled. Every ``fit`` or
    ``partial_fit`` that creates a network runs :func:`check_activation` on the
    pair first and refuses a derivative that disagrees with the function.

    Under array API dispatch (``docs/guide/gpu.md``) both must compute in their
    input's namespace — ``xp = array_api_compat.array_namespace(a)``, then
    ``xp.tanh(a)``, not ``np.tanh(a)`` — on the input's device: ``fit`` checks
    them on a few points of X's namespace and device and refuses them if not.

    Examples
    --------
    >>> import numpy as np
    >>> from skbackprop import Activation, check_activation
    >>> square_plus = Activation(lambda a: a + a * a, lambda a, z: 1 + 2 * a)
    >>> check_activation(square_plus).max_relative_error < 1e-5
    True
    """

    function: object
    derivative: object
    name: object = None

    @property
    def display_name(self):
        if self.name is not None:
            return str(self.name)
        return getattr(self.function, "__name__", repr(self.function))

    def __repr__(self):
        def label(f):
            return getattr(f, "__qualname__", repr(f))

        name = "" if self.name is None else f", name={self.name!r}"
        return f"Activation({label(self.function)}, {label(self.derivative)}{name})"


@dataclass
class ActivationCheckReport:
    """Result of :func:`check_activation`: the largest error and where it is.

    Made by :func:`check_activation`, not by hand; each parameter is kept as the
    attribute of the same name.

    Parameters
    ----------
    name : str
        The activation's name.
    max_relative_error : float
        The largest error on the grid (relative; absolute where ``|g'|`` is below
        1e-3).
    worst_point : float
        The point a where it occurs.
    derivative_value : float
        The derivative's value g'(a) there.
    finite_difference : float
        The central finite difference there.

    Examples
    --------
    >>> from skbackprop import check_activation
    >>> report = check_activation("tanh")
    >>> report.name, report.max_relative_error < 1e-5
    ('tanh', True)
    """

    name: str
    max_relative_error: float
    worst_point: float
    derivative_value: float
    finite_difference: float

    def __str__(self):
        return (
            f"activation {self.name!r}: max relative error "
            f"{self.max_relative_error:.2e} at a = {self.worst_point:.6g} "
            f"(derivative {self.derivative_value:.10g}, finite difference "
            f"{self.finite_difference:.10g})"
        )


def _call(activation, what, f, *args):
    """f(*args) as an array of the input's shape and dtype, or a ValueError saying
    what went wrong."""
    a = args[0]
    try:
        value = f(*args)
    except Exception as error:
        raise ValueError(
            f"Activation {activation.display_name!r}: its {what} raised "
            f"{type(error).__name__}: {error}"
        ) from error
    if not isinstance(a, np.ndarray):
        return _in_namespace_of(activation, what, a, value)
    value = np.asarray(value)
    if value.shape != a.shape and not (what == "derivative" and value.ndim == 0):
        raise ValueError(
            f"Activation {activation.display_name!r}: its {what} changed the shape: "
            f"given an array of shape {a.shape} it returned shape {value.shape}; it "
            "must work elementwise."
        )
    return value.astype(a.dtype, copy=False)


def _in_namespace_of(activation, what, a, value):
    """``_call``'s checks for an ``a`` outside numpy: the value must be an array of
    a's namespace (a user's function computes in its input's namespace)."""
    xp = array_namespace(a)
    try:
        same = array_namespace(value) == xp
    except TypeError:
        same = False
    if not same:
        raise ValueError(
            f"Activation {activation.display_name!r}: its {what} returned "
            f"{type(value).__module__}.{type(value).__name__} for an input of "
            f"{getattr(xp, '__name__', xp)!r}; under array API dispatch it must "
            "compute in its input's namespace (e.g. xp = a.__array_namespace__() "
            "or array_api_compat.array_namespace(a), and xp.tanh(a), not np.tanh(a))."
        )
    if tuple(value.shape) != tuple(a.shape) and not (
        what == "derivative" and value.ndim == 0
    ):
        raise ValueError(
            f"Activation {activation.display_name!r}: its {what} changed the shape: "
            f"given an array of shape {tuple(a.shape)} it returned shape "
            f"{tuple(value.shape)}; it must work elementwise."
        )
    return xp.astype(value, a.dtype, copy=False)


def check_activation_in(activation, X):
    """Run the activation and its derivative on a few points in X's namespace, on
    X's device and in its dtype, against numpy's values (``check_activation``'s
    tolerance): under array API dispatch, training computes there.

    Raises ``ValueError`` naming the activation and the namespace if either fails,
    leaves the namespace or disagrees with numpy.
    """
    xp, device = array_namespace(X), array_device(X)
    layer = resolve_activation(activation)
    points = CHECK_GRID[::50]  # 24 points over [−6, 6]
    name = getattr(activation, "display_name", activation)
    try:
        a = xp.asarray(points, dtype=X.dtype, device=device)
        z = layer.activate_inplace(xp.asarray(a, copy=True))
        g_prime = layer.derivative(a, z)
        if not isinstance(g_prime, float):
            g_prime = move_to(g_prime, xp=np, device="cpu")
        z = move_to(z, xp=np, device="cpu")
    except ValueError:
        raise
    except Exception as error:
        raise ValueError(
            f"Activation {name!r} cannot compute in "
            f"{getattr(xp, '__name__', xp)!r} on device {device!r}: "
            f"{type(error).__name__}: {error}. Pass numpy arrays, or choose "
            "another activation."
        ) from error
    host = points.astype(z.dtype)
    z_host = layer.activate_inplace(host.copy())
    g_host = layer.derivative(host, z_host.copy())
    tolerance = 1e-4 if z.dtype == np.float32 else CHECK_TOLERANCE
    for what, got, expected in (
        ("function", z, z_host),
        ("derivative", g_prime, g_host),
    ):
        if not np.allclose(got, expected, rtol=tolerance, atol=tolerance):
            raise ValueError(
                f"Activation {name!r}: its {what} in {getattr(xp, '__name__', xp)!r} "
                "differs from its values on numpy arrays."
            )


def _layer_activation(activation):
    """The ``LayerActivation`` of a user's pair: g and g' checked for shape."""

    def activate(a, bias=None):
        return _call(
            activation, "function", activation.function, _add_bias_inplace(a, bias)
        )

    def derivative(a, z, out=None):
        return _call(activation, "derivative", activation.derivative, a, z)

    return LayerActivation(
        activation.display_name, activate, derivative, needs_preactivation=True
    )


def resolve_activation(activation):
    """The ``LayerActivation`` for a built-in name or an ``Activation``."""
    if isinstance(activation, Activation):
        return _layer_activation(activation)
    return ACTIVATIONS[activation]


def _finite_or_raise(name, what, values, points):
    values = np.broadcast_to(values, points.shape)
    bad = ~np.isfinite(values)
    if bad.any():
        raise ValueError(
            f"Activation {name!r}: its {what} returned a non-finite value "
            f"({values[bad][0]}) at the finite input a = {points[bad][0]:.6g}."
        )


def _check_dtype(dtype):
    """The float dtype ``check_activation`` calls the pair in (training's)."""
    try:
        checked = np.dtype(dtype)
    except TypeError:
        checked = np.dtype(object)  # refused below (np.dtype(None) is float64)
    if dtype is None or checked not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise InvalidParameterError(
            "The 'dtype' parameter of check_activation must be np.float32 or "
            f"np.float64, the dtypes training computes in. Got {dtype!r} instead."
        )
    return checked


@validate_params(
    {
        "activation": [Activation, StrOptions(set(ACTIVATIONS))],
        "dtype": "no_validation",  # any spelling of a dtype: _check_dtype
    },
    prefer_skip_nested_validation=True,
)
def check_activation(activation, dtype=np.float64):
    """Compare an activation's derivative with central finite differences.

    On a fixed grid of 1200 points over [−6, 6] that avoids the integers (where
    kinks usually sit), ``derivative(a, g(a))`` is compared with
    ``(g(a + ε) − g(a − ε)) / 2ε``, in float64 (float32 differences cannot resolve
    the tolerance). The error is relative, ``|g' − ĝ| / max(|g'|, |ĝ|)``, and
    absolute where both are below 1e-3. The function and derivative are also
    called on the grid in ``dtype``, the dtype training will use.

    Parameters
    ----------
    activation : Activation or str
        A user's pair or the name of a built-in activation.
    dtype : {np.float64, np.float32}, default=np.float64
        The dtype training will use (any spelling numpy understands): the pair is
        also called on the grid in it.

    Returns
    -------
    ActivationCheckReport
        The largest error, where it occurs, and both values there.

    Raises
    ------
    InvalidParameterError
        If ``activation`` is neither an ``Activation`` nor a built-in's name, or
        ``dtype`` is not float32 or float64.
    ValueError
        If the function or derivative fails, changes the shape, or returns
        non-finite values on the grid, or if the error exceeds 1e-5 (the message
        names the activation, the worst point and both values).

    See Also
    --------
    check_gradients : The same check for a whole network's gradients.

    Examples
    --------
    >>> import numpy as np
    >>> from skbackprop import Activation, check_activation
    >>> softsign = Activation(lambda a: a / (1 + np.abs(a)),
    ...                       lambda a, z: 1 / (1 + np.abs(a)) ** 2, name="softsign")
    >>> print(check_activation(softsign))  # doctest: +ELLIPSIS
    activation 'softsign': max relative error ...
    """
    dtype = _check_dtype(dtype)
    if not isinstance(activation, Activation):
        activation = _builtin_as_pair(activation)
    name = activation.display_name
    layer = _layer_activation(activation)
    for grid_dtype in dict.fromkeys([np.dtype(dtype), np.dtype(np.float64)]):
        a = CHECK_GRID.astype(grid_dtype)
        z = layer.activate_inplace(a.copy())
        _finite_or_raise(name, "function", z, a)
        g_prime = layer.derivative(a.copy(), z.copy())
        _finite_or_raise(name, "derivative", g_prime, a)
    g_prime = np.broadcast_to(g_prime, a.shape).astype(np.float64)
    above = layer.activate_inplace(CHECK_GRID + _CHECK_STEP)
    below = layer.activate_inplace(CHECK_GRID - _CHECK_STEP)
    _finite_or_raise(name, "function", above, CHECK_GRID)
    _finite_or_raise(name, "function", below, CHECK_GRID)
    numeric = (above - below) / (2 * _CHECK_STEP)
    scale = np.maximum(np.maximum(np.abs(g_prime), np.abs(numeric)), _ABSOLUTE_BELOW)
    errors = np.abs(g_prime - numeric) / scale
    worst = int(np.argmax(errors))
    report = ActivationCheckReport(
        name=name,
        max_relative_error=float(errors[worst]),
        worst_point=float(CHECK_GRID[worst]),
        derivative_value=float(g_prime[worst]),
        finite_difference=float(numeric[worst]),
    )
    if not report.max_relative_error <= CHECK_TOLERANCE:
        raise ValueError(
            f"Activation {name!r}: its derivative disagrees with finite differences "
            f"of its function: at a = {report.worst_point:.6g} the derivative returns "
            f"{report.derivative_value:.10g} but the central finite difference is "
            f"{report.finite_difference:.10g} (relative error "
            f"{report.max_relative_error:.2e} > {CHECK_TOLERANCE:g}). derivative(a, z) "
            "must return g'(a) given a and z = function(a)."
        )
    return report


def _builtin_as_pair(name):
    """A built-in activation seen as an ``Activation`` (for checking it)."""
    layer = ACTIVATIONS[name]

    def function(a):
        return layer.activate_inplace(np.array(a, copy=True))

    def derivative(a, z):
        return layer.derivative(a, z)

    function.__name__ = name
    return Activation(function, derivative, name)
