"""The backprop trace: every a_k, h_k, δ_k and gradient of one forward and backward
pass, beside the equations of ``docs/derivations.md`` that produce them.

The trace is recorded by the training code itself: ``_network.loss_and_gradients``
hands a ``TraceRecorder`` each a_k before the activation overwrites it, the outputs
h_k before the loss overwrites a_L, and each δ_k as the backward recursion uses it.
The gradients are the ones that call computes, bit for bit.
"""

from dataclasses import dataclass, field
from html import escape

import numpy as np

from ._activations import exp_inplace, sigmoid_inplace, softmax
from ._custom_activations import resolve_activation
from ._network import loss_and_gradients
from ._xp import copy_array, norm

# labels of docs/derivations.md, by the architecture's loss
_LOSS = {
    "squared_error": ("E2",),
    "output_mean_squared_error": ("E2", "E38"),
    "cross_entropy": ("E10",),
    "binary_cross_entropy": ("E36",),
    "poisson": ("E34",),
}
# ... and by (loss, output activation) for the output delta
_OUTPUT_DELTA = {
    ("squared_error", "identity"): ("E7",),
    ("squared_error", "sigmoid"): ("E3",),
    ("output_mean_squared_error", "identity"): ("E7", "E38"),
    ("cross_entropy", "softmax"): ("E11",),
    ("binary_cross_entropy", "sigmoid"): ("E37",),
    ("poisson", "exp"): ("E35",),
}
QUANTITIES = ("a", "h", "delta", "coef_grad", "intercept_grad")
_SYMBOLS = {"a": "a", "h": "h", "delta": "δ", "coef_grad": "∇W", "intercept_grad": "∇b"}


@dataclass(frozen=True, eq=False)
class LayerTrace:
    """One layer k of a ``BackpropTrace``.

    Made by :meth:`backprop_trace <skbackprop.SoftmaxMLPClassifier.backprop_trace>`,
    not by hand. Each parameter is kept as the attribute of the same name; the
    arrays have shape (n_samples, n_k) unless said otherwise.

    Parameters
    ----------
    layer : int
        The layer's number k, from 1 (the first hidden layer) to L (the output).
    a : ndarray
        The pre-activation a_k = h_{k−1} W_k + b_k.
    h : ndarray
        The output h_k = g(a_k); for the last layer the prediction ŷ = g_out(a_L)
        (the class probabilities of a classifier).
    delta : ndarray
        The delta δ_k = ∂L/∂a_k (the data term; sample weights included).
    coef_grad : ndarray of shape (n_{k−1}, n_k)
        ∇_{W_k} L, L2 term included: ``loss_and_gradients``'s ``coef_grads[k − 1]``.
    intercept_grad : ndarray of shape (n_k,)
        ∇_{b_k} L (zeros for a network without biases).
    equations : dict of str to tuple of str
        For each quantity above, the labels of ``docs/derivations.md`` that produce
        it, e.g. ``{"delta": ("E13",), ...}``.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from skbackprop import SoftmaxMLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = SoftmaxMLPClassifier(hidden_layer_sizes=4, solver="lbfgs",
    ...                            random_state=0).fit(X, y)
    >>> first = clf.backprop_trace(X[:10], y[:10]).layers[0]
    >>> first.layer, first.a.shape, first.coef_grad.shape
    (1, (10, 4), (4, 4))
    """

    layer: int
    a: np.ndarray
    h: np.ndarray
    delta: np.ndarray
    coef_grad: np.ndarray
    intercept_grad: np.ndarray
    equations: dict = field(default_factory=dict)

    def norms(self):
        """The Frobenius norm of each array, as a dict keyed like ``equations``.

        Returns
        -------
        dict of str to float
            ``‖a‖``, ``‖h‖``, ``‖δ‖``, ``‖∇W‖`` and ``‖∇b‖`` under the keys
            ``"a"``, ``"h"``, ``"delta"``, ``"coef_grad"``, ``"intercept_grad"``.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from skbackprop import SoftmaxMLPClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = SoftmaxMLPClassifier(hidden_layer_sizes=4, solver="lbfgs",
        ...                            random_state=0).fit(X, y)
        >>> norms = clf.backprop_trace(X, y).layers[-1].norms()
        >>> sorted(norms)
        ['a', 'coef_grad', 'delta', 'h', 'intercept_grad']
        """
        return {name: norm(getattr(self, name)) for name in QUANTITIES}


@dataclass(frozen=True, eq=False)
class BackpropTrace:
    """One forward and backward pass at the current weights, layer by layer.

    Made by the estimators' ``backprop_trace(X, y)``, not by hand; each parameter
    is kept as the attribute of the same name. ``print(trace)`` shows a table of
    shapes, norms and equation labels, and a notebook renders it as HTML.

    Parameters
    ----------
    loss : float
        L, L2 term included: ``loss_and_gradients``'s loss.
    layers : list of LayerTrace
        Layers k = 1 … L, first hidden layer first.
    loss_equations : tuple of str
        The labels of ``docs/derivations.md`` that define the loss.
    estimator : str
        The estimator's class name.

    See Also
    --------
    skbackprop.callbacks.GradientMonitor : Such traces after every epoch.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from skbackprop import SoftmaxMLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = SoftmaxMLPClassifier(hidden_layer_sizes=4, solver="lbfgs",
    ...                            random_state=0).fit(X, y)
    >>> trace = clf.backprop_trace(X[:10], y[:10])
    >>> len(trace.layers), trace.loss_equations
    (2, ('E10', 'E17'))
    """

    loss: float
    layers: list
    loss_equations: tuple = ()
    estimator: str = ""

    def _rows(self):
        header = ["layer", "a, h", "‖a‖", "‖h‖", "‖δ‖", "‖∇W‖", "‖∇b‖", "equations"]
        rows = []
        for record in self.layers:
            norms = record.norms()
            shape = "×".join(str(n) for n in record.a.shape)
            name = f"{record.layer}" + (" (out)" if record is self.layers[-1] else "")
            equations = "  ".join(
                f"{_SYMBOLS[q]} {','.join(record.equations[q])}"
                for q in QUANTITIES
                if record.equations.get(q)
            )
            cells = [
                f"{norms[q]:.3e}" if record.equations.get(q) else "—"
                for q in QUANTITIES
            ]
            rows.append([name, shape, *cells, equations])
        return header, rows

    def _title(self):
        n = self.layers[0].a.shape[0] if self.layers else 0
        labels = ",".join(self.loss_equations)
        return (
            f"BackpropTrace of {self.estimator}: {n} samples, "
            f"loss = {self.loss:.6g} ({labels})"
        )

    def __str__(self):
        header, rows = self._rows()
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        lines = [self._title()]
        for row in [header, *rows]:
            cells = zip(row, widths, strict=True)
            lines.append("  ".join(cell.ljust(width) for cell, width in cells))
        lines.append("labels: equations of docs/derivations.md")
        return "\n".join(line.rstrip() for line in lines)

    def __repr__(self):
        return f"<{self._title()}, {len(self.layers)} layers>"

    def _repr_html_(self):
        header, rows = self._rows()
        head = "".join(f"<th>{escape(c)}</th>" for c in header)
        body = "".join(
            "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>"
            for row in rows
        )
        return (
            f"<table><caption>{escape(self._title())}</caption>"
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        )


class TraceRecorder:
    """What ``_network`` hands over during one pass, kept as copies."""

    def __init__(self, n_layers):
        self.pre = [None] * n_layers  # a_k
        self.out = [None] * n_layers  # h_k
        self.deltas = [None] * n_layers  # δ_k

    def preactivation(self, k, a, bias):
        self.pre[k] = copy_array(a) if bias is None else a + bias

    def outputs(self, layers):
        for k, h in enumerate(layers[1:-1]):
            self.out[k] = copy_array(h)

    def delta(self, k, delta, column_scale):
        if column_scale is None:
            self.deltas[k] = copy_array(delta)
        else:
            self.deltas[k] = delta * column_scale


def _output(output_activation, a_L):
    """ŷ = g_out(a_L), on a copy."""
    if output_activation == "softmax":
        return softmax(a_L)
    y_hat = copy_array(a_L)
    if output_activation == "sigmoid":
        y_hat = sigmoid_inplace(y_hat)
    elif output_activation == "exp":
        y_hat = exp_inplace(y_hat)
    return y_hat


def equation_labels(architecture, *, alpha, weighted):
    """Per layer, the labels producing each quantity; and the loss's labels."""
    sizes, output = architecture.layer_sizes, architecture.output_activation
    n_layers = len(sizes) - 1
    hidden = resolve_activation(architecture.activation).name
    # the seeds' two-layer sigmoid network (sections 2–3) is the case L = 2
    seeds = (
        n_layers == 2 and hidden == "sigmoid" and architecture.loss == "squared_error"
    )
    weights = ("E16",) if weighted else ()
    labels = []
    for k in range(1, n_layers + 1):
        last = k == n_layers
        forward = ("E1", "E12") if seeds else ("E12",)
        if last:
            delta = (*_OUTPUT_DELTA[architecture.loss, output], *weights)
        else:
            delta = ("E5", "E13") if seeds else ("E13",)
            if k == 1 and sizes[2] == 1:
                delta += ("E27",)  # the backward pass's one-unit form
        coef = ("E14",)
        if seeds:
            coef = ("E4" if last else "E6", "E14")
        if alpha:
            coef += ("E18",)
        bias = ()
        if architecture.fit_intercept:
            bias = ("E8", "E15") if seeds else ("E15",)
        labels.append(
            {
                "a": forward,
                "h": forward,
                "delta": delta,
                "coef_grad": coef,
                "intercept_grad": bias,
            }
        )
    loss = (*_LOSS[architecture.loss], *weights, *(("E17",) if alpha else ()))
    return labels, loss


def backprop_trace(params, X, y, sample_weight, alpha, estimator=""):
    """Run ``loss_and_gradients`` with a recorder and assemble its ``BackpropTrace``."""
    architecture = params.architecture
    n_layers = len(params.coefs)
    grads = params.zeros_like()
    recorder = TraceRecorder(n_layers)
    loss = loss_and_gradients(params, X, y, sample_weight, alpha, grads, None, recorder)
    recorder.out[-1] = _output(architecture.output_activation, recorder.pre[-1])
    labels, loss_labels = equation_labels(
        architecture, alpha=alpha, weighted=sample_weight is not None
    )
    layers = [
        LayerTrace(
            layer=k + 1,
            a=recorder.pre[k],
            h=recorder.out[k],
            delta=recorder.deltas[k],
            coef_grad=grads.coefs[k],
            intercept_grad=grads.intercepts[k],
            equations=labels[k],
        )
        for k in range(n_layers)
    ]
    return BackpropTrace(float(loss), layers, loss_labels, estimator)
