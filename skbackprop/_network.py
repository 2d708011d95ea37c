"""The network: parameter layout, forward pass and the backward recursion.

Notation, used the same way everywhere in the package
-----------------------------------------------------
A network of L layers maps ``h_0 = X`` (n_samples, n_features) through

    a_k = h_{k−1} W_k + b_k          pre-activation of layer k   (n_samples, fan_out)
    h_k = g(a_k)                     k < L, g the hidden activation
    ŷ   = g_out(a_L)                 identity, sigmoid, softmax or exp
    L   = loss(ŷ, y)                 named by ``Architecture.loss`` (``_losses``)

``W_k`` has shape (fan_in, fan_out), as scikit-learn's ``coefs_[k − 1]``. The seeds'
two-layer network is the case L = 2 with H = a_1, Z = h_1, O = a_2 and g = σ.

The backward recursion (seed 003), with δ_k = ∂L/∂a_k:

    δ_L       = ∂L/∂a_L                          (``_losses``)
    ∇_{W_k} L = h_{k−1}ᵀ δ_k  + (α/N) W_k
    ∇_{b_k} L = 1ᵀ δ_k
    δ_{k−1}   = (δ_k W_kᵀ) ⊙ g'(a_{k−1})

g' is read off the output h_{k−1} = g(a_{k−1}) where it can be (``_activations``);
for an activation whose derivative needs a_{k−1} itself (``needs_preactivation``)
training keeps a copy of a_{k−1} in its ``Workspace``.

An optional ``recorder`` (``_trace.TraceRecorder``) is handed a_k, h_k and δ_k as
these same functions compute them: the backprop trace is recorded by the code that
trains. Training passes none.

All parameters live in one flat buffer; ``coefs`` and ``intercepts`` are views into
it, so an optimizer updates one array and L-BFGS needs no packing. That memory —
``Architecture``, ``Parameters``, ``Workspace`` and the initial draw — is in
``_parameters``; this module holds the equations only.

The equations run on numpy arrays in place, into a ``Workspace``, and on the
arrays of any other array API namespace (torch, CuPy, …) with the allocating forms
of the same functions (``_xp``), into an ``AllocatingWorkspace``: the same lines
either way. There the loss, N and the L2 term stay 0-d arrays on the device.
"""

from collections import deque

import numpy as np

from ._activations import exp_inplace, identity_inplace, sigmoid_inplace
from ._custom_activations import resolve_activation
from ._inplace import add_scaled_inplace
from ._losses import loss_and_output_delta
from ._parameters import AllocatingWorkspace, Workspace
from ._xp import array_ops


def _matmul_into(A, B, out=None):
    """A @ B, written straight into ``out`` when given (sparse A cannot take out=;
    outside numpy ``out`` is a view of a gradient buffer, set by item)."""
    if isinstance(A, np.ndarray):  # checked first: far cheaper than sp.issparse
        return np.matmul(A, B, out=out)
    if out is None:
        return A @ B
    out[...] = A @ B
    return out


def layer_outputs(params, X, workspace=None, recorder=None):
    """Yield h_1, …, h_{L−1} and a_L, one layer at a time: a caller that keeps
    only the latest holds two layers at most (the one read, the one written).

    With a workspace (training), a hidden a_k + b_k is copied to ``workspace.pre``
    first when the activation's derivative needs it. A recorder gets a_k before
    the activation overwrites it."""
    if workspace is None:
        activation = resolve_activation(params.architecture.activation)
    else:
        activation = workspace.activation
    keep = workspace is not None and activation.needs_preactivation
    activate = activation.activate_inplace
    n = X.shape[0]
    h = X
    last = len(params.coefs) - 1
    fit_intercept = params.architecture.fit_intercept
    for k, (W, b) in enumerate(zip(params.coefs, params.intercepts, strict=True)):
        out = None if workspace is None or workspace.a is None else workspace.a[k][:n]
        a = _matmul_into(h, W, out)  # h_{k−1} W_k, (n_samples, fan_out)
        g = identity_inplace if k == last else activate
        bias = b if fit_intercept else None
        if keep and k != last:
            a = identity_inplace(a, bias)
            workspace.keep_preactivation(k, a)  # a_k, for g'(a_k) in the backward pass
            bias = None
        if recorder is not None:
            recorder.preactivation(k, a, bias)  # a_k = h_{k−1} W_k + b_k
        # g adds b_k itself: the float64 sigmoid folds it into its negation
        h = g(a, bias)
        yield h


def forward(params, X, workspace=None, recorder=None):
    """Return [h_0 = X, h_1, …, h_{L−1}, a_L]: the hidden outputs and the last
    pre-activation (the output activation is applied by the loss or by predict)."""
    return [X, *layer_outputs(params, X, workspace, recorder)]


def backward(params, layers, delta, grads, alpha, n, workspace=None, recorder=None):
    """Fill ``grads`` with ∇_{W_k} L and ∇_{b_k} L from the output delta δ_L.

    g'(a_{k−1}) needs a_{k−1} only for some activations: those read it from the
    workspace the forward pass filled (which they then require). A recorder gets
    each δ_k as it is used."""
    if workspace is None:
        activation = resolve_activation(params.architecture.activation)
        kept = [None] * len(params.coefs)
    else:
        activation, kept = workspace.activation, workspace.pre
    derivative = activation.derivative
    fit_intercept = params.architecture.fit_intercept
    m = delta.shape[0]
    ops = array_ops(delta)
    if workspace is not None and workspace.ones is not None:
        ones = workspace.ones[:m]
    elif ops is np:
        ones = np.ones(m, delta.dtype)
    else:
        ones = ops.xp.ones(m, dtype=delta.dtype, device=delta.device)
    column_scale = None  # diag(w) still to apply to δ_k's columns (see below)
    for k in range(len(params.coefs) - 1, -1, -1):
        h_prev = layers[k]
        if recorder is not None:  # δ_k, still to be scaled by diag(w) (E27)
            recorder.delta(k, delta, column_scale)
        _matmul_into(h_prev.T, delta, grads.coefs[k])  # ∇_{W_k} L = h_{k−1}ᵀ δ_k
        if fit_intercept:
            # ∇_{b_k} L = 1ᵀ δ_k: a matrix–vector product beats delta.sum(axis=0)
            _matmul_into(ones, delta, grads.intercepts[k])
        if column_scale is not None:  # h_{k−1}ᵀ (δ diag(w)) = (h_{k−1}ᵀ δ) diag(w)
            grads.coefs[k] *= column_scale
            if fit_intercept:
                grads.intercepts[k] *= column_scale
        if k == 0:
            break  # δ_0, the input's delta, is never needed
        # δ_{k−1} = (δ_k W_kᵀ) ⊙ g'(a_{k−1}), g' read off h_{k−1} = g(a_{k−1})
        a_prev = None if kept[k - 1] is None else kept[k - 1][:m, ...]
        delta_prev = scratch = None
        if workspace is not None and workspace.delta is not None:
            delta_prev = workspace.delta[k - 1][:m]
            scratch = workspace.scratch[k - 1][:m]
        W = params.coefs[k]
        if k == 1 and W.shape[1] == 1:
            # Layer 2 (k = 1 from 0) has one unit: W_2 is a column w, and
            # δ_1 = (δ_2 wᵀ) ⊙ G = (G ⊙ δ_2) diag(w) with G = g'(a_1). G ⊙ δ_2 is
            # one pass over (n_samples, fan_out) where δ_2 wᵀ and ⊙ G are two;
            # diag(w) goes to layer 1's gradients, of shape (fan_in, fan_out).
            if delta_prev is None and ops is np:
                delta_prev = np.empty_like(h_prev)
            g_prime = derivative(a_prev, h_prev, out=delta_prev)  # identity: 1
            delta_prev = ops.multiply(g_prime, delta, out=delta_prev)  # G ⊙ δ_2
            column_scale = W[:, 0]
        else:
            # with one unit δ_k W_kᵀ is an outer product, which broadcasting
            # computes faster than a K = 1 matrix product
            product = ops.multiply if W.shape[1] == 1 else ops.matmul
            delta_prev = product(delta, W.T, out=delta_prev)
            delta_prev *= derivative(a_prev, h_prev, out=scratch)
        delta = delta_prev
    if alpha:
        # + (α/N) W_k for every k at once: the weights are one contiguous block
        scratch = None if workspace is None else workspace.l2_term
        add_scaled_inplace(grads.weights, alpha / n, params.weights, scratch)
    return grads


def l2_penalty(params, alpha, n):
    """(α / 2N) Σ_k ‖W_k‖², the weights only, not the biases."""
    if not alpha:
        return 0.0
    weights = params.weights
    if not isinstance(weights, np.ndarray):  # a 0-d array, left on the device
        return 0.5 * alpha * array_ops(weights).xp.sum(weights * weights) / n
    return 0.5 * alpha * float(np.dot(params.weights, params.weights)) / n


def loss_and_gradients(
    params, X, y, sample_weight, alpha, grads, workspace=None, recorder=None
):
    """L(θ) and ∇_θ L for one batch; ``grads`` (a ``Parameters``) is filled in place.

    ``y`` holds regression targets (n_samples, n_outputs) or, for a softmax output,
    integer class indices (n_samples,). With weights w, N = Σ w (SPEC §1).
    """
    if isinstance(params.flat, np.ndarray):
        n = X.shape[0] if sample_weight is None else float(sample_weight.sum())
        if workspace is None:  # some derivatives read a_k, which a workspace keeps
            workspace = Workspace(params.architecture, X.shape[0], params.flat.dtype)
    else:  # N stays on the device (a 0-d array)
        n = X.shape[0] if sample_weight is None else array_ops(X).xp.sum(sample_weight)
        if workspace is None:
            workspace = AllocatingWorkspace(params.architecture)
    layers = forward(params, X, workspace, recorder)
    if recorder is not None:  # h_k, before the loss overwrites a_L with δ_L
        recorder.outputs(layers)
    loss, delta = loss_and_output_delta(
        params.architecture, layers[-1], y, sample_weight, n
    )
    backward(params, layers, delta, grads, alpha, n, workspace, recorder)
    return loss + l2_penalty(params, alpha, n)


def output_preactivation(params, X):
    """a_L for X: the logits of a classifier."""
    # keeping only the latest layer frees each one once the next is computed
    (a,) = deque(layer_outputs(params, X), maxlen=1)
    return a


def predict_output(params, X):
    """ŷ for the identity, sigmoid and exp outputs, the logits a_L for softmax."""
    a = output_preactivation(params, X)
    output_activation = params.architecture.output_activation
    if output_activation == "sigmoid":
        a = sigmoid_inplace(a)
    elif output_activation == "exp":
        a = exp_inplace(a)
    return a
