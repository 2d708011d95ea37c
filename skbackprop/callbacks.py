"""Callbacks for scikit-learn's callback API (``sklearn.callback``, scikit-learn ≥ 1.9).

``GradientMonitor`` watches the health of the gradients while a network trains:
per epoch and layer, the gradient and weight norms, the relative size of the
epoch's update, and the shares of saturated and dead units::

    monitor = GradientMonitor()
    clf = SoftmaxMLPClassifier(activation="sigmoid").set_callbacks(monitor)
    clf.fit(X, y)
    pandas.DataFrame(monitor.history)
"""

from numbers import Integral

import numpy as np
import scipy.sparse as sp
from sklearn.utils._array_api import move_to
from sklearn.utils._param_validation import (
    Interval,
    validate_parameter_constraints,
)

from ._custom_activations import resolve_activation
from ._inputs import _host_stand_in, to_host
from ._trace import backprop_trace
from ._xp import array_device, array_namespace, copy_array, norm

__all__ = ["GradientMonitor"]

# activations whose derivative vanishes on both sides: they saturate
SATURATING = frozenset({"sigmoid", "tanh"})
SATURATION_THRESHOLD = 0.01  # |g'(a)| below this counts as saturated


class GradientMonitor:
    """Watch the gradients' health during training, per epoch and layer.

    For each epoch and layer it records the gradient norm, the weight norm, the
    update-to-weight ratio and the shares of saturated and dead units. After
    every epoch (L-BFGS: every iteration) the monitor takes a ``backprop_trace``
    of the model as the epoch left it, on a fixed sample of the training data:
    its first ``max_samples`` rows that carry weight (rows whose sample weight,
    times the class weight, is zero are passed over: they have no gradient),
    with their weights. The sample is the data as ``fit`` validated it, so it is
    not checked again: a sample of all-zero Poisson counts, or a model fitted on
    a DataFrame, is traced as any other. The monitor reads the estimator and
    never writes to it: training with or without the monitor gives the same
    weights, bit for bit, and the same random draws.

    Parameters
    ----------
    max_samples : int or None, default=200
        How many rows of the training data (of positive weight) the gradients
        and unit statistics are computed on, at least 1 (None: all of them).

    Attributes
    ----------
    history : list of dict
        One dict per (epoch, layer), ready for ``pandas.DataFrame``, with keys

        - ``epoch``: 1, 2, … counted over every epoch the monitor has seen, so
          successive ``partial_fit`` calls continue the count;
        - ``layer``: k = 1 … L (L the output layer); ``activation``: its g;
        - ``grad_norm``: ‖∇_{W_k} L‖ (Frobenius, L2 term included);
        - ``weight_norm``: ‖W_k‖ at the end of the epoch;
        - ``update_ratio``: ‖W_k(end) − W_k(start)‖ / ‖W_k(start)‖ over the epoch
          (NaN for the first L-BFGS iteration, whose start is not reported);
        - ``saturated``: for a sigmoid or tanh hidden layer, the share of its
          values g′(a_k) on the sample with ``|g′| < 0.01`` (NaN otherwise);
        - ``dead``: for a hidden layer, the share of its units whose output is
          zero on every sample (a dead relu unit; NaN for the output layer).

    See Also
    --------
    skbackprop.BackpropTrace : One such pass, in full.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from skbackprop import SoftmaxMLPClassifier
    >>> from skbackprop.callbacks import GradientMonitor
    >>> X, y = load_iris(return_X_y=True)
    >>> monitor = GradientMonitor(max_samples=50)
    >>> clf = SoftmaxMLPClassifier(hidden_layer_sizes=4, solver="lbfgs",
    ...                            random_state=0).set_callbacks(monitor)
    >>> clf = clf.fit(X, y)
    >>> sorted(monitor.history[0])[:4]
    ['activation', 'dead', 'epoch', 'grad_norm']
    """

    def __init__(self, *, max_samples=200):
        _check_max_samples(max_samples)
        self.max_samples = max_samples
        self.history = []
        self._start = None
        self._previous = None
        self._sample = None
        self._epochs = 0

    def setup(self, estimator, context):
        _check_max_samples(self.max_samples)  # before training, if changed since
        self._start = self._previous = None  # a new training call
        self._sample = None

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context, *, fitted_estimator=None):
        if context.task_name == "epoch" and fitted_estimator is not None:
            self._start = [copy_array(W) for W in fitted_estimator.coefs_]

    def on_fit_task_end(
        self,
        estimator,
        context,
        *,
        X=None,
        y=None,
        metadata=None,
        fitted_estimator=None,
    ):
        if context.task_name != "epoch" or fitted_estimator is None:
            return False
        if self._sample is None:  # the same rows every epoch of the call
            weights = (metadata or {}).get("sample_weight")
            self._sample = _training_sample(
                fitted_estimator, X, y, weights, self.max_samples
            )
        params = fitted_estimator._params
        trace = backprop_trace(params, *self._sample, fitted_estimator.alpha)
        coefs = fitted_estimator.coefs_
        start = self._start if self._start is not None else self._previous
        self._epochs += 1
        activation = fitted_estimator._params.architecture.activation
        layer_activation = resolve_activation(activation)
        last = len(trace.layers) - 1
        for k, record in enumerate(trace.layers):
            self.history.append(
                {
                    "epoch": self._epochs,
                    "layer": record.layer,
                    "activation": fitted_estimator.out_activation_
                    if k == last
                    else layer_activation.name,
                    "grad_norm": norm(record.coef_grad),
                    "weight_norm": norm(coefs[k]),
                    "update_ratio": _update_ratio(coefs[k], start, k),
                    "saturated": np.nan
                    if k == last
                    else _saturated(layer_activation, record),
                    "dead": np.nan if k == last else _dead(record.h),
                }
            )
        self._previous = [copy_array(W) for W in coefs]
        self._start = None
        return False


def _check_max_samples(max_samples):
    validate_parameter_constraints(
        {"max_samples": [Interval(Integral, 1, None, closed="left"), None]},
        {"max_samples": max_samples},
        caller_name="GradientMonitor",
    )


def _training_sample(estimator, X, y, sample_weight, max_samples):
    """(X, y, w) of the first ``max_samples`` rows of positive weight, with y
    encoded and the weights combined as the loss reads them.

    X and y are the training data as ``fit`` validated it (the callback API
    hands them on), so they are not validated again: that would warn about
    feature names, and refuse a sample that is fine as part of the whole (all
    counts zero, for the Poisson loss).
    """
    y_encoded, _ = estimator._encode_targets(np.asarray(to_host(y)), first_call=False)
    host_X = _host_stand_in(X)  # X itself, or its rows and dtype (another namespace)
    if y_encoded.dtype.kind == "f":
        y_encoded = y_encoded.astype(host_X.dtype, copy=False)
    w = estimator._combined_weights_on_host(host_X, y_encoded, to_host(sample_weight))
    rows = np.arange(X.shape[0]) if w is None else np.flatnonzero(w > 0)
    rows = rows[:max_samples]
    if isinstance(X, np.ndarray) or sp.issparse(X):
        return X[rows], y_encoded[rows], None if w is None else w[rows]
    # another namespace: the sample is taken on X's device, once a call
    xp, device = array_namespace(X), array_device(X)
    y_sample, w_sample = (
        None if a is None else move_to(a[rows], xp=xp, device=device)
        for a in (y_encoded, w)
    )
    return xp.take(X, xp.asarray(rows, device=device), axis=0), y_sample, w_sample


def _update_ratio(W, start, k):
    if start is None:
        return np.nan
    size = norm(start[k])
    change = norm(W - start[k])
    return change / size if size > 0 else np.nan


def _saturated(layer_activation, record):
    if layer_activation.name not in SATURATING:
        return np.nan
    g_prime = layer_activation.derivative(record.a, record.h)
    if not isinstance(g_prime, np.ndarray):
        xp = array_namespace(g_prime)
        return float(
            xp.mean(xp.astype(xp.abs(g_prime) < SATURATION_THRESHOLD, g_prime.dtype))
        )
    return float(np.mean(np.abs(g_prime) < SATURATION_THRESHOLD))


def _dead(h):
    if not isinstance(h, np.ndarray):
        xp = array_namespace(h)
        return float(xp.mean(xp.astype(xp.all(h == 0, axis=0), h.dtype)))
    return float(np.mean(np.all(h == 0, axis=0)))
