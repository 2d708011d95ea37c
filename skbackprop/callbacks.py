"""Callbacks for scikit-learn's callback API (``sklearn.callback``, scikit-learn ≥ 1.9).

``GradientMonitor`` watches the health of the gradients while a network trains:
per epoch and layer, the gradient and weight norms, the relative size of the
epoch's update, and the shares of saturated and dead units::

    monitor = GradientMonitor()
    clf = SoftmaxMLPClassifier(activation="sigmoid").set_callbacks(monitor)
    clf.fit(X, y)
    pandas.DataFrame(monitor.history)
"""

import numpy as np
import scipy.sparse as sp

from ._custom_activations import resolve_activation
from ._xp import array_namespace, copy_array, norm

__all__ = ["GradientMonitor"]

# activations whose derivative vanishes on both sides: they saturate
SATURATING = frozenset({"sigmoid", "tanh"})
SATURATION_THRESHOLD = 0.01  # |g'(a)| below this counts as saturated


class GradientMonitor:
    """Per epoch and layer: gradient norm, weight norm, update-to-weight ratio,
    saturated and dead shares.

    After every epoch (L-BFGS: every iteration) the monitor takes a
    ``backprop_trace`` of the model as the epoch left it, on a fixed sample of the
    training data: its first ``max_samples`` rows, with their sample weights. It
    reads the estimator and never writes to it: training with or without the
    monitor gives the same weights, bit for bit, and the same random draws.

    Parameters
    ----------
    max_samples : int or None, default=200
        How many leading rows of the training data the gradients and unit
        statistics are computed on (None: all of them).

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
          values g'(a_k) on the sample with |g'| < 0.01 (NaN otherwise);
        - ``dead``: for a hidden layer, the share of its units whose output is
          zero on every sample (a dead relu unit; NaN for the output layer).
    """

    def __init__(self, *, max_samples=200):
        self.max_samples = max_samples
        self.history = []
        self._start = None
        self._previous = None
        self._epochs = 0

    def setup(self, estimator, context):
        self._start = self._previous = None  # a new training call

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
        rows = slice(
            None,
            None if self.max_samples is None else min(self.max_samples, X.shape[0]),
        )
        weights = (metadata or {}).get("sample_weight")
        if isinstance(X, np.ndarray) or sp.issparse(X):
            weights = None if weights is None else np.asarray(weights)[rows]
            trace = fitted_estimator.backprop_trace(X[rows], y[rows], weights)
        else:  # an array of another namespace: X's rows stay on its device
            weights = None if weights is None else weights[rows]
            trace = fitted_estimator.backprop_trace(X[rows, ...], y[rows], weights)
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
