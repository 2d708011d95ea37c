"""The library's gradients against the seeds' closed forms, written out literally.

Seeds 000/001/004: the bias-free two-layer sigmoid network with a sigmoid output,
    H = X W1, Z = σ(H), O = Z W2, ŷ = σ(O), L = 1/(2N) Σ_i (Y_i − ŷ_i)²,
    ∂L/∂W2[k]   = Σ_i −(1/N)(Y_i − ŷ_i) ŷ_i(1 − ŷ_i) Z_ik                     (5/7)
    ∂L/∂W1[k,l] = Σ_i −(1/N)(Y_i − ŷ_i) ŷ_i(1 − ŷ_i) W2[l] Z_il(1 − Z_il) X_ik (9/10)
Seed 002: the same network with biases and a linear output. Its loss is
(1/N) Σ (y − ŷ)², whose gradients are twice the ones below; the library uses
1/(2N) (SPEC §1), so the factor 2 of the seed's derivation is absent here.
Seed 003: softmax cross-entropy and the layer-by-layer backward recursion.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from skbackprop import SoftmaxMLPClassifier, TwoLayerSigmoidRegressor

N, F, HIDDEN = 25, 4, 5


def sigma(x):
    return 1.0 / (1.0 + np.exp(-x))


@pytest.fixture
def data():
    rng = np.random.RandomState(0)
    X = rng.randn(N, F)
    Y = rng.uniform(0.0, 1.0, N)
    w = rng.uniform(0.1, 2.0, N)
    w[::6] = 0.0
    return X, Y, w


def bias_free_sigmoid_regressor(X, Y):
    reg = TwoLayerSigmoidRegressor(
        hidden_size=HIDDEN,
        fit_intercept=False,
        output_activation="sigmoid",
        alpha=0,
        solver="gd",
        learning_rate=0.5,
        random_state=0,
    )
    return reg.partial_fit(X, Y)


def seed_000_loss_and_gradients(X, Y, W1, W2, w=None):
    """Seed eqs. 2, 5/7 and 9/10 with explicit sums; weights w_i turn 1/N into
    w_i/Σw (SPEC §1)."""
    n_samples, n_features = X.shape
    n_hidden = W1.shape[1]
    w = np.ones(n_samples) if w is None else w
    big_n = w.sum()
    H = X @ W1
    Z = sigma(H)
    O = Z @ W2  # noqa: E741 — the seeds' name for the output pre-activation
    y_hat = sigma(O)
    loss = sum(w[i] * (Y[i] - y_hat[i]) ** 2 for i in range(n_samples)) / (2 * big_n)
    # common factor of eqs. 5 and 9: −(w_i/N)(Y_i − ŷ_i) ŷ_i(1 − ŷ_i)
    c = [
        -(w[i] / big_n) * (Y[i] - y_hat[i]) * y_hat[i] * (1 - y_hat[i])
        for i in range(n_samples)
    ]
    dW2 = np.array(
        [sum(c[i] * Z[i, k] for i in range(n_samples)) for k in range(n_hidden)]
    )
    dW1 = np.array(
        [
            [
                sum(
                    c[i] * W2[l] * Z[i, l] * (1 - Z[i, l]) * X[i, k]
                    for i in range(n_samples)
                )
                for l in range(n_hidden)  # noqa: E741 — the seeds' index name
            ]
            for k in range(n_features)
        ]
    )
    return loss, dW1, dW2


def test_seed_000_bias_free_sigmoid_gradients_equal_eqs_5_7_and_9_10(data):
    X, Y, _ = data
    reg = bias_free_sigmoid_regressor(X, Y)
    W1, W2 = reg.coefs_[0], reg.coefs_[1][:, 0]
    loss, (g1, g2), (gb1, gb2) = reg.loss_and_gradients(X, Y)
    loss_ref, dW1, dW2 = seed_000_loss_and_gradients(X, Y, W1, W2)
    assert_allclose(loss, loss_ref, rtol=1e-12)
    assert_allclose(g2[:, 0], dW2, rtol=1e-10, atol=1e-15)
    assert_allclose(g1, dW1, rtol=1e-10, atol=1e-15)
    assert np.abs(dW1).max() > 1e-4  # a non-trivial gradient is being compared
    assert_allclose(gb1, 0.0)
    assert_allclose(gb2, 0.0)


def test_seed_000_gradients_with_einsum_for_several_outputs(data):
    X, _, _ = data
    rng = np.random.RandomState(1)
    Y = rng.uniform(0.0, 1.0, (N, 3))
    reg = bias_free_sigmoid_regressor(X, Y)
    W1, W2 = reg.coefs_
    Z = sigma(X @ W1)
    y_hat = sigma(Z @ W2)
    c = -(1 / N) * (Y - y_hat) * y_hat * (1 - y_hat)  # (N, n_outputs)
    dW2 = np.einsum("ij,ik->kj", c, Z)
    dW1 = np.einsum("ij,lj,il,ik->kl", c, W2, Z * (1 - Z), X)
    loss, (g1, g2), _ = reg.loss_and_gradients(X, Y)
    assert_allclose(loss, ((Y - y_hat) ** 2).sum() / (2 * N), rtol=1e-12)
    assert_allclose(g2, dW2, rtol=1e-10, atol=1e-15)
    assert_allclose(g1, dW1, rtol=1e-10, atol=1e-15)


def test_seed_000_with_sample_weight_divides_by_the_sum_of_weights(data):
    X, Y, w = data
    reg = bias_free_sigmoid_regressor(X, Y)
    W1, W2 = reg.coefs_[0], reg.coefs_[1][:, 0]
    loss, (g1, g2), _ = reg.loss_and_gradients(X, Y, sample_weight=w)
    loss_ref, dW1, dW2 = seed_000_loss_and_gradients(X, Y, W1, W2, w)
    assert_allclose(loss, loss_ref, rtol=1e-12)
    assert_allclose(g2[:, 0], dW2, rtol=1e-10, atol=1e-15)
    assert_allclose(g1, dW1, rtol=1e-10, atol=1e-15)
    # N = Σw: scaling every weight by a constant changes nothing
    loss_scaled, (g1_scaled, g2_scaled), _ = reg.loss_and_gradients(X, Y, 7.0 * w)
    assert_allclose(loss_scaled, loss, rtol=1e-12)
    assert_allclose(g1_scaled, g1, rtol=1e-12, atol=1e-16)
    assert_allclose(g2_scaled, g2, rtol=1e-12, atol=1e-16)


@pytest.mark.parametrize("estimator_kind", ["regressor", "classifier"])
def test_integer_sample_weight_equals_repeating_samples(estimator_kind):
    rng = np.random.RandomState(2)
    X = rng.randn(12, 3)
    counts = np.array([0, 1, 2, 3, 1, 0, 2, 1, 1, 4, 1, 2])
    if estimator_kind == "regressor":
        y = rng.randn(12)
        est = TwoLayerSigmoidRegressor(hidden_size=4, alpha=0.3, random_state=2)
        est.partial_fit(X, y)
    else:
        y = np.arange(12) % 3
        est = SoftmaxMLPClassifier(hidden_layer_sizes=(4, 3), alpha=0.3, random_state=2)
        est.partial_fit(X, y, classes=[0, 1, 2])
    loss, coef_grads, intercept_grads = est.loss_and_gradients(X, y, counts)
    loss_rep, coef_rep, intercept_rep = est.loss_and_gradients(
        np.repeat(X, counts, axis=0), np.repeat(y, counts, axis=0)
    )
    assert_allclose(loss, loss_rep, rtol=1e-12)
    for g, g_rep in zip(
        coef_grads + intercept_grads, coef_rep + intercept_rep, strict=True
    ):
        assert_allclose(g, g_rep, rtol=1e-10, atol=1e-15)


def test_seed_002_linear_output_gradients_with_biases(data):
    X, _, w = data
    Y = X[:, 0] - 2 * X[:, 1] ** 2 + 0.1 * np.random.RandomState(3).randn(N)
    reg = TwoLayerSigmoidRegressor(
        hidden_size=HIDDEN, alpha=0, solver="gd", learning_rate=0.01, random_state=3
    ).partial_fit(X, Y)
    W1, b1 = reg.coefs_[0], reg.intercepts_[0]
    W2, b2 = reg.coefs_[1][:, 0], reg.intercepts_[1][0]
    for weights in (None, w):
        v = np.ones(N) if weights is None else weights
        big_n = v.sum()
        z1 = X @ W1 + b1
        a1 = sigma(z1)
        a2 = a1 @ W2 + b2  # linear output: ŷ = a2
        r = -(v / big_n) * (Y - a2)  # ∂L/∂a2 per sample
        dW2 = np.einsum("i,il->l", r, a1)
        db2 = r.sum()
        back = np.einsum("i,l,il->il", r, W2, a1 * (1 - a1))  # into z1
        dW1 = np.einsum("il,ik->kl", back, X)
        db1 = back.sum(axis=0)
        loss, (g1, g2), (gb1, gb2) = reg.loss_and_gradients(X, Y, weights)
        assert_allclose(loss, (v * (Y - a2) ** 2).sum() / (2 * big_n), rtol=1e-12)
        assert_allclose(g2[:, 0], dW2, rtol=1e-10, atol=1e-15)
        assert_allclose(gb2, [db2], rtol=1e-10, atol=1e-15)
        assert_allclose(g1, dW1, rtol=1e-10, atol=1e-15)
        assert_allclose(gb1, db1, rtol=1e-10, atol=1e-15)


def activation_and_derivative(name):
    """g and g' written from the pre-activation a (not through the output)."""
    if name == "sigmoid":
        return sigma, lambda a: sigma(a) * (1 - sigma(a))
    if name == "tanh":
        return np.tanh, lambda a: 1 / np.cosh(a) ** 2
    return (lambda a: np.maximum(a, 0)), (lambda a: (a > 0).astype(float))


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
@pytest.mark.parametrize("weighted", [False, True])
def test_seed_003_softmax_cross_entropy_recursion(data, activation, weighted):
    X, _, w = data
    labels = np.arange(N) % 3
    clf = SoftmaxMLPClassifier(
        hidden_layer_sizes=(5, 4),
        activation=activation,
        alpha=0,
        solver="gd",
        learning_rate=0.1,
        random_state=4,
    ).partial_fit(X, labels, classes=[0, 1, 2])
    g, g_prime = activation_and_derivative(activation)
    # seed 003 writes a_i = W_i h_{i−1} + b_i with column vectors: W_i = coefs_[i−1]ᵀ
    Ws = [W.T for W in clf.coefs_]
    bs = list(clf.intercepts_)
    v = np.ones(N) if not weighted else w
    big_n = v.sum()
    grads_W = [np.zeros_like(W) for W in Ws]
    grads_b = [np.zeros_like(b) for b in bs]
    loss = 0.0
    for i in range(N):
        # forward, one sample at a time
        h = [X[i]]
        a = []
        for k in range(3):
            a.append(Ws[k] @ h[-1] + bs[k])
            h.append(g(a[-1]) if k < 2 else None)
        y_hat = np.exp(a[2]) / np.exp(a[2]).sum()
        e_l = np.eye(3)[labels[i]]
        loss += v[i] * -np.log(y_hat[labels[i]]) / big_n
        # backward: ∇_{a_L} L = −(e(l) − ŷ), then into each previous layer
        grad_a = -(e_l - y_hat)
        for k in (2, 1, 0):
            grads_W[k] += (v[i] / big_n) * np.outer(
                grad_a, h[k]
            )  # ∇_{a_k} L · h_{k−1}ᵀ
            grads_b[k] += (v[i] / big_n) * grad_a
            if k > 0:
                grad_h = Ws[k].T @ grad_a  # ∇_{h_{k−1}} L = W_kᵀ ∇_{a_k} L
                grad_a = grad_h * g_prime(a[k - 1])  # ⊙ g′(a_{k−1})
    result = clf.loss_and_gradients(X, labels, w if weighted else None)
    assert_allclose(result[0], loss, rtol=1e-12)
    for k in range(3):
        assert_allclose(result[1][k], grads_W[k].T, rtol=1e-10, atol=1e-15)
        assert_allclose(result[2][k], grads_b[k], rtol=1e-10, atol=1e-15)
        assert np.abs(grads_W[k]).max() > 1e-5


@pytest.mark.parametrize("estimator_kind", ["regressor", "classifier"])
@pytest.mark.parametrize("weighted", [False, True])
def test_l2_term_adds_alpha_over_n_times_the_weights_and_nothing_to_biases(
    data, estimator_kind, weighted
):
    X, Y, w = data
    w = w if weighted else None
    big_n = N if w is None else w.sum()
    alpha = 0.7
    if estimator_kind == "regressor":
        est = TwoLayerSigmoidRegressor(hidden_size=HIDDEN, alpha=0, random_state=5)
        est.partial_fit(X, Y)
        y = Y
    else:
        y = np.arange(N) % 3
        est = SoftmaxMLPClassifier(hidden_layer_sizes=(5, 4), alpha=0, random_state=5)
        est.partial_fit(X, y, classes=[0, 1, 2])
    loss_0, coef_0, intercept_0 = est.loss_and_gradients(X, y, w)
    est.set_params(alpha=alpha)
    loss_a, coef_a, intercept_a = est.loss_and_gradients(X, y, w)
    penalty = alpha / (2 * big_n) * sum((W**2).sum() for W in est.coefs_)
    assert_allclose(loss_a - loss_0, penalty, rtol=1e-10)
    for W, g0, ga in zip(est.coefs_, coef_0, coef_a, strict=True):
        assert_allclose(ga - g0, alpha / big_n * W, rtol=1e-9, atol=1e-15)
    for g0, ga in zip(intercept_0, intercept_a, strict=True):
        assert_allclose(ga, g0, rtol=1e-14, atol=1e-17)


def snapshot(est):
    return [p.copy() for p in est.coefs_ + est.intercepts_]


@pytest.mark.parametrize("estimator_kind", ["regressor", "seed_000", "classifier"])
@pytest.mark.parametrize("weighted", [False, True])
def test_gd_partial_fit_moves_every_weight_by_minus_learning_rate_times_gradient(
    data, estimator_kind, weighted
):
    X, Y, w = data
    w = w if weighted else None
    lr = 0.3
    if estimator_kind != "classifier":
        seed_000 = estimator_kind == "seed_000"
        est = TwoLayerSigmoidRegressor(
            hidden_size=HIDDEN,
            fit_intercept=not seed_000,
            output_activation="sigmoid" if seed_000 else "identity",
            alpha=0 if seed_000 else 0.1,
            solver="gd",
            learning_rate=lr,
            random_state=6,
        )
        y = Y
        est.partial_fit(X, y, w)
    else:
        est = SoftmaxMLPClassifier(
            hidden_layer_sizes=(5, 4),
            activation="tanh",
            solver="gd",
            learning_rate=lr,
            alpha=0.1,
            random_state=6,
        )
        y = np.arange(N) % 3
        est.partial_fit(X, y, w, classes=[0, 1, 2])
    for _ in range(3):
        before = snapshot(est)
        _, coef_grads, intercept_grads = est.loss_and_gradients(X, y, w)
        est.partial_fit(X, y, w)
        after = snapshot(est)
        for p_before, g, p_after in zip(
            before, coef_grads + intercept_grads, after, strict=True
        ):
            assert_allclose(p_after, p_before - lr * g, rtol=1e-12, atol=1e-16)
        assert max(np.abs(a - b).max() for a, b in zip(after, before, strict=True)) > 0
