"""The floors: the training's matrix products, and its whole arithmetic, in bare numpy.

``gemm_flops`` counts the floating-point operations of a training's matrix products;
``gemm_floor_seconds`` times those products alone, written into preallocated buffers,
as the machine's limit against which both libraries' fit times are read.
``numpy_floor_seconds`` adds every elementwise pass the equations need, one numpy
call each: the limit of any numpy implementation of the same training, which tells
how much of a fit's time above the GEMM floor is the arithmetic itself and how much
is the code around it.
"""

import time

import numpy as np


def gemm_flops(layer_sizes, n_samples, epochs):
    """Floating-point operations of the training's matrix products.

    Per sample and epoch: forward a_k = h_{k−1} W_k and backward h_{k−1}ᵀ δ_k for
    every layer, δ_k W_kᵀ for every layer but the first; 2·fan_in·fan_out each.
    The batch size does not change the count.
    """
    products = [i * o for i, o in zip(layer_sizes[:-1], layer_sizes[1:], strict=True)]
    return 2 * (2 * sum(products) + sum(products[1:])) * n_samples * epochs


def gemm_floor_seconds(X, layer_sizes, batch_rows, epochs):
    """Time the same matrix products in bare numpy, written into preallocated
    buffers: the machine's limit for this training."""
    rng = np.random.default_rng(0)
    dtype = X.dtype
    shapes = list(zip(layer_sizes[:-1], layer_sizes[1:], strict=True))
    weights = [rng.standard_normal(s).astype(dtype) for s in shapes]
    grads = [np.empty(s, dtype) for s in shapes]
    outs = [np.empty((batch_rows, o), dtype) for _, o in shapes]
    deltas = [rng.standard_normal((batch_rows, o)).astype(dtype) for _, o in shapes]
    back = [np.empty((batch_rows, i), dtype) for i, _ in shapes]
    n = X.shape[0]
    start = time.perf_counter()
    for _ in range(epochs):
        for first in range(0, n, batch_rows):
            h = X[first : first + batch_rows]
            m = h.shape[0]
            inputs = []
            for W, out in zip(weights, outs, strict=True):
                inputs.append(h)
                h = np.matmul(h, W, out=out[:m])
            for k in range(len(weights) - 1, -1, -1):
                np.matmul(inputs[k].T, deltas[k][:m], out=grads[k])
                if k > 0:
                    np.matmul(deltas[k][:m], weights[k].T, out=back[k][:m])
    return time.perf_counter() - start


def _hidden_passes(activation, a, bias):
    """g(a + b) in place, in the fewest numpy calls: sigmoid as exp and a
    reciprocal (float64) or ½tanh(½a)+½ (float32); relu as a maximum."""
    if activation == "relu":
        a += bias
        np.maximum(a, 0.0, out=a)
    elif a.dtype == np.float32:
        a += bias
        a *= 0.5
        np.tanh(a, out=a)
        a *= 0.5
        a += 0.5
    else:
        np.subtract(-bias, a, out=a)
        np.exp(a, out=a)
        a += 1.0
        np.reciprocal(a, out=a)


def _derivative_passes(activation, z, out):
    """g'(a) from z = g(a): z(1 − z) for sigmoid, sign(z) for relu."""
    if activation == "relu":
        return np.sign(z, out=out)
    np.subtract(1.0, z, out=out)
    out *= z
    return out


NUMPY_FLOOR_SOLVERS = ("adam", "gd")  # the optimizer steps the numpy floor models


def numpy_floor_seconds(X, layer_sizes, batch_rows, epochs, activation, solver):
    """Time the GEMM floor's products plus every elementwise pass the training's
    equations need, each one numpy call into a preallocated buffer: the limit for
    this training in numpy, with no Python structure around the calls.

    Per minibatch: gather the shuffled rows (``np.take``); forward a_k = h W_k, then
    g(a_k + b_k) (``_hidden_passes``) or + b_L; the output delta as two passes over
    a_L (exp and a scaling for softmax, a subtraction and a scaling for squared
    error); backward h_{k−1}ᵀ δ_k, 1ᵀ δ_k and, below the top, δ_k W_kᵀ times g'
    (``_derivative_passes`` and one multiplication, or (E27)'s one multiplication
    and a column scaling when layer 2 has one unit); the L2 gradient (two passes:
    numpy has no axpy) and penalty (a dot); then the step: Adam's ten passes or
    gd's two.
    """
    if activation not in ("relu", "sigmoid") or solver not in NUMPY_FLOOR_SOLVERS:
        raise ValueError(f"no numpy floor for {activation=} with {solver=}")
    rng = np.random.default_rng(0)
    dtype = X.dtype
    shapes = list(zip(layer_sizes[:-1], layer_sizes[1:], strict=True))
    weights = [rng.uniform(-0.1, 0.1, s).astype(dtype) for s in shapes]
    biases = [np.zeros(o, dtype) for _, o in shapes]
    grads = [np.empty(s, dtype) for s in shapes]
    bias_grads = [np.empty(o, dtype) for _, o in shapes]
    outs = [np.empty((batch_rows, o), dtype) for _, o in shapes]
    deltas = [np.empty((batch_rows, o), dtype) for _, o in shapes]
    scratch = [np.empty((batch_rows, o), dtype) for _, o in shapes]
    x_batch = np.empty((batch_rows, X.shape[1]), dtype)
    ones = np.ones(batch_rows, dtype)
    n_weights = sum(i * o for i, o in shapes)
    n_params = n_weights + sum(o for _, o in shapes)
    theta, grad = np.zeros(n_params, dtype), np.full(n_params, 1e-3, dtype)
    m1, v1, s1 = (
        np.zeros(n_params, dtype),
        np.zeros(n_params, dtype),
        np.empty_like(grad),
    )
    l2 = np.empty(n_weights, dtype)
    n = X.shape[0]
    gather = solver != "gd"
    last = len(weights) - 1
    start = time.perf_counter()
    for _ in range(epochs):
        order = rng.permutation(n) if gather else None
        for first in range(0, n, batch_rows):
            if gather:
                rows = order[first : first + batch_rows]
                h = np.take(X, rows, axis=0, mode="clip", out=x_batch[: len(rows)])
            else:
                h = X[first : first + batch_rows]
            m = h.shape[0]
            inputs = []
            for k, (W, b, out) in enumerate(zip(weights, biases, outs, strict=True)):
                inputs.append(h)
                h = np.matmul(h, W, out=out[:m])
                if k < last:
                    _hidden_passes(activation, h, b)
                else:
                    h += b
            delta = deltas[last][:m]
            if layer_sizes[-1] > 1:
                np.exp(h, out=delta)  # softmax's exp (its normalisation is tiny)
            else:
                np.subtract(h, 0.5, out=delta)  # ŷ − y
            delta *= 1.0 / m
            column_scale = None
            for k in range(last, -1, -1):
                np.matmul(inputs[k].T, delta, out=grads[k])
                np.matmul(ones[:m], delta, out=bias_grads[k])
                if column_scale is not None:
                    grads[k] *= column_scale
                    bias_grads[k] *= column_scale
                if k == 0:
                    break
                below = deltas[k - 1][:m]
                if k == 1 and shapes[k][1] == 1:  # (E27)
                    _derivative_passes(activation, inputs[k], below)
                    below *= delta
                    column_scale = weights[k][:, 0]
                else:
                    np.matmul(delta, weights[k].T, out=below)
                    below *= _derivative_passes(
                        activation, inputs[k], scratch[k - 1][:m]
                    )
                delta = below
            # y ← y + a·x is two numpy passes (numpy has no axpy)
            grad[:n_weights] += np.multiply(theta[:n_weights], 1e-4, out=l2)
            float(np.dot(theta[:n_weights], theta[:n_weights]))
            if solver == "adam":  # moments kept unscaled: ten passes
                m1 *= 0.9
                m1 += grad
                v1 *= 0.999
                v1 += np.multiply(grad, grad, out=s1)
                np.sqrt(v1, out=s1)
                s1 += 1e-8
                np.divide(m1, s1, out=s1)
                s1 *= -1e-3
                theta += s1
            else:
                theta += np.multiply(grad, -0.1, out=s1)
    return time.perf_counter() - start
