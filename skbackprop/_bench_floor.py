"""The GEMM floor: the training's matrix products, counted and timed in bare numpy.

``gemm_flops`` counts the floating-point operations of a training's matrix products;
``gemm_floor_seconds`` times those products alone, written into preallocated buffers,
as the machine's limit against which both libraries' fit times are read.
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
