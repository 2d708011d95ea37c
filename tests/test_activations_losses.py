"""Activations against their derivatives and numerical stability; the losses'
output deltas against finite differences of the losses."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skbackprop._activations import ACTIVATIONS, log_softmax, sigmoid_inplace, softmax
from skbackprop._losses import (
    cross_entropy,
    cross_entropy_and_delta,
    loss_and_output_delta,
    squared_error,
    squared_error_and_delta,
)
from skbackprop._parameters import Architecture


class strict_floating_point:
    """Every warning an error, and numpy's overflow / invalid / divide raising;
    underflow to 0 (e.g. exp(−1e6)) is the intended behaviour and stays quiet."""

    def __enter__(self):
        self._warnings = warnings.catch_warnings()
        self._warnings.__enter__()
        warnings.simplefilter("error")
        self._errstate = np.errstate(over="raise", invalid="raise", divide="raise")
        self._errstate.__enter__()

    def __exit__(self, *exc):
        self._errstate.__exit__(*exc)
        return self._warnings.__exit__(*exc)


def forward(name, a):
    return ACTIVATIONS[name].activate_inplace(np.array(a, dtype=float))


# -- activations ---------------------------------------------------------------------
@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "identity"])
def test_activation_derivative_equals_numerical_derivative_of_forward(name):
    rng = np.random.RandomState(0)
    a = rng.uniform(-4, 4, (7, 5))
    a[np.abs(a) < 1e-3] = 0.5  # keep relu's kink out of the differences' reach
    eps = 1e-6
    numeric = (forward(name, a + eps) - forward(name, a - eps)) / (2 * eps)
    z = forward(name, a)
    derivative = ACTIVATIONS[name].derivative
    assert not ACTIVATIONS[name].needs_preactivation
    g_prime = derivative(None, z)  # the derivative through the output z alone
    assert_allclose(np.broadcast_to(g_prime, a.shape), numeric, rtol=1e-7, atol=1e-9)
    # written into a reused buffer, the same values
    out = np.full_like(a, np.nan)
    assert_allclose(np.broadcast_to(derivative(None, z, out), a.shape), g_prime, rtol=0)


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "identity"])
def test_activation_forward_adds_the_bias_first(name):
    rng = np.random.RandomState(1)
    a, b = rng.randn(4, 3), rng.randn(3)
    forward_fn = ACTIVATIONS[name].activate_inplace
    assert_allclose(forward_fn(a.copy(), b), forward(name, a + b), rtol=1e-15)


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu"])
def test_activation_functions_work_in_place_and_keep_float32(name):
    a = np.linspace(-3, 3, 12, dtype=np.float32).reshape(3, 4)
    forward_fn, derivative = (
        ACTIVATIONS[name].activate_inplace,
        ACTIVATIONS[name].derivative,
    )
    bias = np.array([0.0, 0.5, -0.5, 1.0])
    reference = forward(name, a.astype(np.float64) + bias)
    z = forward_fn(a, bias.astype(np.float32))
    assert z.dtype == np.float32
    assert np.shares_memory(z, a)  # "_inplace": the input is overwritten
    assert_allclose(z, reference, rtol=1e-6, atol=1e-7)
    out = np.empty_like(z)
    g_prime = derivative(None, z, out)
    assert g_prime.dtype == np.float32 and g_prime is out


def test_tanh_and_relu_forward_are_the_textbook_functions():
    x = np.linspace(-5, 5, 41)
    assert_allclose(forward("tanh", x), np.tanh(x), rtol=1e-15)
    assert_array_equal(forward("relu", x), np.where(x > 0, x, 0.0))
    assert_array_equal(forward("identity", x), x)


def test_sigmoid_matches_its_definition_on_moderate_inputs():
    x = np.linspace(-30, 30, 601)
    assert_allclose(forward("sigmoid", x), 1 / (1 + np.exp(-x)), rtol=1e-15, atol=0)


def test_float32_sigmoid_matches_float64_to_float32_accuracy():
    x = np.linspace(-30, 30, 601)
    z32 = sigmoid_inplace(x.astype(np.float32))
    assert z32.dtype == np.float32
    assert_allclose(z32, 1 / (1 + np.exp(-x)), rtol=0, atol=2e-7)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sigmoid_is_finite_and_in_unit_interval_at_extreme_inputs(dtype):
    x = np.array([-1e6, -1e3, -750.0, -50.0, 0.0, 50.0, 750.0, 1e3, 1e6], dtype=dtype)
    with strict_floating_point():
        z = sigmoid_inplace(x.copy())
    assert np.isfinite(z).all()
    assert ((z >= 0) & (z <= 1)).all()
    assert z[0] == 0.0 and z[-1] == 1.0 and z[4] == 0.5
    assert np.all(np.diff(z) >= 0)


def test_tanh_and_relu_are_finite_at_extreme_inputs():
    x = np.array([-1e300, -1e6, 0.0, 1e6, 1e300])
    with strict_floating_point():
        assert_array_equal(forward("tanh", x), [-1, -1, 0, 1, 1])
        assert_array_equal(forward("relu", x), [0, 0, 0, 1e6, 1e300])


def test_softmax_rows_sum_to_one_and_match_the_definition():
    rng = np.random.RandomState(1)
    a = rng.randn(6, 4) * 3
    p = softmax(a)
    assert_allclose(p.sum(axis=1), 1.0, rtol=1e-15)
    assert_allclose(p, np.exp(a) / np.exp(a).sum(axis=1, keepdims=True), rtol=1e-13)
    assert_allclose(log_softmax(a), np.log(p), rtol=1e-13, atol=1e-15)
    # shift invariance: adding a constant to a row changes nothing
    assert_allclose(softmax(a + 1e3), p, rtol=1e-12)


EXTREME_LOGITS = np.array(
    [
        [1e6, -1e6, 0.0],
        [-1e6, -1e6, -1e6],
        [1e300, -1e300, 0.0],
        [5e299, 5e299, -1e300],
        [1e6, 1e6 + 1.0, 1e6],
    ]
)


def test_softmax_and_log_softmax_are_finite_at_extreme_logits():
    with strict_floating_point():
        p = softmax(EXTREME_LOGITS)
        log_p = log_softmax(EXTREME_LOGITS)
    assert np.isfinite(p).all() and np.isfinite(log_p).all()
    assert_allclose(p.sum(axis=1), 1.0, rtol=1e-15)
    assert_allclose(p[0], [1, 0, 0])
    assert_allclose(p[1], [1 / 3] * 3, rtol=1e-15)
    assert_allclose(p[3], [0.5, 0.5, 0.0])
    assert_allclose(log_p[0], [0.0, -2e6, -1e6], rtol=1e-15)
    assert_allclose(log_p[2], [0.0, -2e300, -1e300], rtol=1e-15)
    assert_allclose(log_p[1], [-np.log(3)] * 3, rtol=1e-15)
    expected = np.array([0.0, 1.0, 0.0]) - np.log(2 + np.e)
    assert_allclose(log_p[4], expected, rtol=1e-12)


def test_cross_entropy_delta_is_finite_at_extreme_logits():
    y = np.array([1, 0, 2, 2, 1])
    with strict_floating_point():
        loss, delta = cross_entropy_and_delta(EXTREME_LOGITS.copy(), y, None, len(y))
    assert np.isfinite(loss) and np.isfinite(delta).all()
    expected_loss = -log_softmax(EXTREME_LOGITS)[np.arange(5), y].mean()
    assert_allclose(loss, expected_loss, rtol=1e-15)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("offset", [-50.0, -100.0, -800.0])
def test_cross_entropy_is_accurate_whichever_shift_the_batch_gets(dtype, offset):
    # rows far below the batch maximum: one shift for the batch serves while the
    # logits span < 78 (float32) or 637 (float64); beyond, exp(a − max a) would
    # underflow for the low rows, so each row takes its own maximum
    rng = np.random.RandomState(6)
    a = rng.randn(8, 4)
    a[1::2] += offset
    y = np.array([0, 1, 2, 3, 3, 2, 1, 0])
    a = a.astype(dtype)
    log_p = log_softmax(a.astype(np.float64))  # the reference, from the same logits
    expected_delta = (np.exp(log_p) - np.eye(4)[y]) / 8
    with strict_floating_point():
        loss, delta = cross_entropy_and_delta(a, y, None, 8.0)
    rtol = 1e-13 if dtype == np.float64 else 2e-5
    assert delta.dtype == dtype
    assert_allclose(loss, -log_p[np.arange(8), y].mean(), rtol=rtol)
    assert_allclose(delta, expected_delta, rtol=rtol, atol=1e-7 * rtol)


def test_cross_entropy_of_confident_rows_never_rounds_below_zero():
    # a shared shift leaves log ŷ_l = x_l − log Σ exp(x) with both terms far from 0
    # for rows below the batch's top: rounding alone could make −log ŷ_l negative
    rng = np.random.RandomState(0)
    for _ in range(300):
        a = rng.randn(64, 3)
        y = rng.randint(0, 3, 64)
        a[np.arange(64), y] += 25.0  # confident, correct rows: −log ŷ_l ≈ 1e-11
        a += rng.uniform(-20.0, 20.0, (64, 1))  # a span of up to ~75 …
        a = a.astype(np.float32)
        assert float(a.max() - a.min()) < 78.0  # … one shift for the batch in float32
        loss, _ = cross_entropy_and_delta(a, y, None, 64.0)
        assert loss >= 0.0


# -- losses and their output deltas ----------------------------------------------------
def weights_or_none(weighted, n):
    if not weighted:
        return None, float(n)
    w = np.random.RandomState(2).uniform(0.1, 2.0, n)
    w[1] = 0.0
    return w, float(w.sum())


def numerical_gradient(f, a, eps=1e-6):
    grad = np.empty_like(a)
    for idx in np.ndindex(a.shape):
        plus, minus = a.copy(), a.copy()
        plus[idx] += eps
        minus[idx] -= eps
        grad[idx] = (f(plus) - f(minus)) / (2 * eps)
    return grad


@pytest.mark.parametrize("output_activation", ["identity", "sigmoid"])
@pytest.mark.parametrize("weighted", [False, True])
def test_squared_error_delta_equals_finite_differences(output_activation, weighted):
    rng = np.random.RandomState(3)
    a = rng.randn(6, 2)
    y = rng.uniform(0, 1, (6, 2))
    w, n = weights_or_none(weighted, 6)

    def loss(a_):
        return squared_error_and_delta(a_.copy(), y, w, n, output_activation)[0]

    value, delta = squared_error_and_delta(a.copy(), y, w, n, output_activation)
    assert_allclose(delta, numerical_gradient(loss, a), rtol=1e-7, atol=1e-10)
    # the loss is the one of SPEC §1: 1/(2N) Σ_i w_i Σ_j (y − ŷ)²
    y_hat = a if output_activation == "identity" else 1 / (1 + np.exp(-a))
    v = np.ones(6) if w is None else w
    assert_allclose(value, (v[:, None] * (y - y_hat) ** 2).sum() / (2 * n), rtol=1e-13)
    assert_allclose(squared_error(y, y_hat, w, n), value, rtol=1e-13)
    if w is not None:
        assert_array_equal(delta[1], 0.0)  # a zero-weight sample has no delta


@pytest.mark.parametrize("weighted", [False, True])
def test_softmax_cross_entropy_delta_equals_finite_differences(weighted):
    rng = np.random.RandomState(4)
    a = rng.randn(6, 3) * 2
    y = np.array([0, 2, 1, 1, 0, 2])
    w, n = weights_or_none(weighted, 6)

    def loss(a_):
        return cross_entropy_and_delta(a_.copy(), y, w, n)[0]

    value, delta = cross_entropy_and_delta(a.copy(), y, w, n)
    assert_allclose(delta, numerical_gradient(loss, a), rtol=1e-7, atol=1e-10)
    # ∂L/∂a = (w_i/N)(ŷ − e(l)): each row of the delta sums to zero
    assert_allclose(delta.sum(axis=1), 0.0, atol=1e-15)
    v = np.ones(6) if w is None else w
    p = np.exp(a) / np.exp(a).sum(axis=1, keepdims=True)
    assert_allclose(value, -(v * np.log(p[np.arange(6), y])).sum() / n, rtol=1e-13)
    assert_allclose(cross_entropy(y, log_softmax(a), w, n), value, rtol=1e-13)


@pytest.mark.parametrize("output_activation", ["identity", "sigmoid", "softmax"])
def test_loss_dispatch_picks_the_loss_of_the_output_activation(output_activation):
    rng = np.random.RandomState(5)
    a = rng.randn(5, 3)
    if output_activation == "softmax":
        y = np.array([0, 1, 2, 0, 1])
        expected = cross_entropy_and_delta(a.copy(), y, None, 5.0)
    else:
        y = rng.uniform(0, 1, (5, 3))
        expected = squared_error_and_delta(a.copy(), y, None, 5.0, output_activation)
    architecture = Architecture((2, 3), "relu", output_activation)
    loss, delta = loss_and_output_delta(architecture, a.copy(), y, None, 5.0)
    assert_allclose(loss, expected[0], rtol=1e-15)
    assert_allclose(delta, expected[1], rtol=1e-15)
