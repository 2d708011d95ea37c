"""Optimizer steps against their closed forms, and the training loop's solvers.

The closed forms, written by hand below:
    gd        θ ← θ − lr·g
    sgd       v ← μv − lr·g,  θ ← θ + v
    adam      m ← β₁m + (1 − β₁)g,  v ← β₂v + (1 − β₂)g²,
              θ ← θ − lr_t·m / (√v + ε),  lr_t = lr·√(1 − β₂ᵗ) / (1 − β₁ᵗ)
The one-BLAS-library guard is in ``test_threads.py``.
"""

import math
import warnings
from unittest import mock

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning

import skbackprop._optimizers as optimizers
from skbackprop import (
    BackpropMLPClassifier,
    BackpropMLPRegressor,
    SoftmaxMLPClassifier,
    TwoLayerSigmoidRegressor,
)
from skbackprop._inplace import add_scaled_inplace
from skbackprop._optimizers import Adam, GradientDescent, MomentumSGD

N = 30
CLASSES = [0, 1, 2]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(7,), (3, 5)])
@pytest.mark.parametrize("with_scratch", [True, False])
def test_add_scaled_inplace_adds_a_times_x_and_keeps_the_dtype(
    dtype, shape, with_scratch
):
    rng = np.random.RandomState(0)
    x, y = rng.randn(*shape).astype(dtype), rng.randn(*shape).astype(dtype)
    expected = y.astype(np.float64) + 0.3 * x.astype(np.float64)
    scratch = np.empty_like(x) if with_scratch else None
    out = add_scaled_inplace(y, 0.3, x, scratch)
    assert out is y
    assert y.dtype == dtype
    assert_allclose(y, expected, rtol=1e-6 if dtype == np.float32 else 1e-15)
    x_before = x.copy()
    add_scaled_inplace(y, 0.0, x, scratch)
    assert_array_equal(x, x_before)  # x is read, never written


@pytest.fixture
def vectors():
    rng = np.random.RandomState(0)
    theta = rng.randn(12)
    grads = [rng.randn(12) for _ in range(3)]
    return theta, grads


# -- the optimizer classes -----------------------------------------------------------
def test_gradient_descent_step_is_theta_minus_lr_times_gradient(vectors):
    theta0, grads = vectors
    theta = theta0.copy()
    opt = GradientDescent(learning_rate=0.05)
    opt.step(theta, grads[0])
    assert_allclose(theta, theta0 - 0.05 * grads[0], rtol=1e-15)
    opt.step(theta, grads[1])
    assert_allclose(theta, theta0 - 0.05 * grads[0] - 0.05 * grads[1], rtol=1e-12)


def test_momentum_sgd_two_steps_follow_the_velocity_recursion(vectors):
    theta0, (g1, g2, _) = vectors
    lr, mu = 0.1, 0.9
    theta = theta0.copy()
    opt = MomentumSGD(learning_rate=lr, momentum=mu)
    opt.step(theta, g1)
    v1 = -lr * g1  # v starts at 0: v ← μ·0 − lr·g₁
    assert_allclose(theta, theta0 + v1, rtol=1e-12)
    opt.step(theta, g2)
    v2 = mu * v1 - lr * g2
    assert_allclose(opt.velocity, v2, rtol=1e-12)
    assert_allclose(theta, theta0 + v1 + v2, rtol=1e-12)


def test_nesterov_sgd_two_steps_look_ahead_along_the_new_velocity(vectors):
    theta0, (g1, g2, _) = vectors
    lr, mu = 0.1, 0.9
    theta = theta0.copy()
    opt = MomentumSGD(learning_rate=lr, momentum=mu, nesterov=True)
    opt.step(theta, g1)
    v1 = -lr * g1
    theta1 = theta0 + mu * v1 - lr * g1  # scikit-learn: μ v_new − lr g
    assert_allclose(theta, theta1, rtol=1e-12)
    opt.step(theta, g2)
    v2 = mu * v1 - lr * g2
    assert_allclose(opt.velocity, v2, rtol=1e-12)
    assert_allclose(theta, theta1 + mu * v2 - lr * g2, rtol=1e-12)


def adam_by_hand(theta0, grads, lr, beta_1, beta_2, epsilon):
    """Every iterate of Adam, scikit-learn's form of the bias correction."""
    theta, m, v = theta0.copy(), np.zeros_like(theta0), np.zeros_like(theta0)
    iterates = []
    for t, g in enumerate(grads, start=1):
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g**2
        lr_t = lr * math.sqrt(1 - beta_2**t) / (1 - beta_1**t)
        theta = theta - lr_t * m / (np.sqrt(v) + epsilon)
        iterates.append(theta)
    return iterates


@pytest.mark.parametrize("epsilon", [1e-8, 0.5])
def test_adam_first_three_steps_match_the_closed_form(vectors, epsilon):
    theta0, grads = vectors
    lr, beta_1, beta_2 = 0.01, 0.8, 0.95
    expected = adam_by_hand(theta0, grads, lr, beta_1, beta_2, epsilon)
    theta = theta0.copy()
    opt = Adam(lr, beta_1, beta_2, epsilon)
    for t, (g, theta_t) in enumerate(zip(grads, expected, strict=True), start=1):
        opt.step(theta, g)
        assert opt.t == t
        assert_allclose(theta, theta_t, rtol=1e-12)
    # the moments themselves, written out for t = 2
    m2 = beta_1 * (1 - beta_1) * grads[0] + (1 - beta_1) * grads[1]
    v2 = beta_2 * (1 - beta_2) * grads[0] ** 2 + (1 - beta_2) * grads[1] ** 2
    m3 = beta_1 * m2 + (1 - beta_1) * grads[2]
    v3 = beta_2 * v2 + (1 - beta_2) * grads[2] ** 2
    assert_allclose(opt.m, m3, rtol=1e-12)
    assert_allclose(opt.v, v3, rtol=1e-12)


def test_adam_first_step_is_learning_rate_times_sign_of_gradient(vectors):
    theta0, (g, _, _) = vectors
    theta = theta0.copy()
    Adam(0.01, 0.9, 0.999, 1e-12).step(theta, g)
    assert_allclose(theta - theta0, -0.01 * np.sign(g), rtol=1e-9)


@pytest.mark.parametrize("solver", ["gd", "sgd", "adam"])
def test_optimizers_keep_a_float32_theta_in_float32(vectors, solver):
    theta0, grads = vectors
    theta = theta0.astype(np.float32)
    opt = {
        "gd": GradientDescent(0.05),
        "sgd": MomentumSGD(0.05, 0.9),
        "adam": Adam(0.05, 0.9, 0.999, 1e-8),
    }[solver]
    reference = theta0.copy()
    reference_opt = {
        "gd": GradientDescent(0.05),
        "sgd": MomentumSGD(0.05, 0.9),
        "adam": Adam(0.05, 0.9, 0.999, 1e-8),
    }[solver]
    for g in grads:
        opt.step(theta, g.astype(np.float32))
        reference_opt.step(reference, g)
    state = [
        getattr(opt, name) for name in ("velocity", "m", "v") if hasattr(opt, name)
    ]
    assert all(array.dtype == np.float32 for array in state)  # no float64 moments
    assert_allclose(theta, reference, rtol=1e-5, atol=1e-6)


# -- the same steps through the estimators -------------------------------------------
def make_data(kind, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(N, 4)
    if kind == "classifier":
        y = np.arange(N) % 3
    else:
        y = np.column_stack([X[:, 0] * X[:, 1], np.sin(X[:, 2])])
    return X, y


def make_estimator(kind, width=5, **params):
    if kind == "classifier":
        hidden = (width, 4) if width == 5 else (width,)
        return SoftmaxMLPClassifier(
            hidden_layer_sizes=hidden, activation="tanh", **params
        )
    return TwoLayerSigmoidRegressor(hidden_size=width, **params)


def partial_fit(est, X, y, sample_weight=None):
    if isinstance(est, SoftmaxMLPClassifier):
        return est.partial_fit(X, y, sample_weight, classes=CLASSES)
    return est.partial_fit(X, y, sample_weight)


def parameters(est):
    return [p.copy() for p in est.coefs_ + est.intercepts_]


def initial_parameters(kind, X, y, random_state, alpha=1e-4, width=5):
    """The weights the estimators start from: a gd step of 1e-300 cannot move them
    in float64, so one such partial_fit exposes the initialisation."""
    probe = make_estimator(
        kind,
        width,
        solver="gd",
        learning_rate=1e-300,
        alpha=alpha,
        random_state=random_state,
    )
    return partial_fit(probe, X, y)


HYPER = {"learning_rate": 0.05, "momentum": 0.8, "beta_1": 0.85, "beta_2": 0.99}


@pytest.mark.parametrize("solver", ["gd", "sgd", "sgd-nesterov", "adam"])
@pytest.mark.parametrize("kind", ["regressor", "classifier"])
def test_full_batch_partial_fit_steps_match_the_closed_form(kind, solver):
    X, y = make_data(kind)
    lr, mu, beta_1, beta_2 = (
        HYPER["learning_rate"],
        HYPER["momentum"],
        HYPER["beta_1"],
        HYPER["beta_2"],
    )
    probe = initial_parameters(kind, X, y, random_state=3, alpha=0.01)
    est = make_estimator(
        kind,
        solver=solver.split("-")[0],
        nesterovs_momentum=solver == "sgd-nesterov",
        batch_size=N + 7,
        alpha=0.01,
        random_state=3,
        **HYPER,
    )
    theta = parameters(probe)
    velocity = [np.zeros_like(p) for p in theta]
    m = [np.zeros_like(p) for p in theta]
    v = [np.zeros_like(p) for p in theta]
    for t in range(1, 4):
        source = probe if t == 1 else est  # θ₀ lives in the probe
        _, coef_grads, intercept_grads = source.loss_and_gradients(X, y)
        new_theta = []
        for k, (p, g) in enumerate(
            zip(theta, coef_grads + intercept_grads, strict=True)
        ):
            if solver == "gd":
                new_theta.append(p - lr * g)
            elif solver == "sgd":  # heavy ball
                velocity[k] = mu * velocity[k] - lr * g
                new_theta.append(p + velocity[k])
            elif solver == "sgd-nesterov":  # scikit-learn's form: look ahead
                velocity[k] = mu * velocity[k] - lr * g
                new_theta.append(p + mu * velocity[k] - lr * g)
            else:
                m[k] = beta_1 * m[k] + (1 - beta_1) * g
                v[k] = beta_2 * v[k] + (1 - beta_2) * g**2
                lr_t = lr * math.sqrt(1 - beta_2**t) / (1 - beta_1**t)
                new_theta.append(p - lr_t * m[k] / (np.sqrt(v[k]) + 1e-8))
        theta = new_theta
        partial_fit(est, X, y)
        for p_est, p_hand in zip(parameters(est), theta, strict=True):
            assert_allclose(p_est, p_hand, rtol=1e-12, atol=1e-15)
    assert est.t_ == 3 * N


KINDS = ("regressor", "classifier")
STREAM_CASES = [("gd", kind, N) for kind in KINDS] + [
    (solver, kind, batch_size)
    for solver in ("sgd", "adam")
    for kind in KINDS
    for batch_size in (N, 8)  # full batch, and shuffled minibatches
]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("solver, kind, batch_size", STREAM_CASES)
def test_k_partial_fit_calls_equal_one_fit_with_max_iter_k(solver, kind, batch_size):
    X, y = make_data(kind)
    params = dict(
        solver=solver,
        batch_size=batch_size,
        tol=0.0,
        n_iter_no_change=100,
        alpha=0.01,
        random_state=7,
        **HYPER,
    )
    k = 4
    fitted = make_estimator(kind, max_iter=k, **params).fit(X, y)
    streamed = make_estimator(kind, **params)
    for _ in range(k):
        partial_fit(streamed, X, y)
    assert fitted.n_iter_ == k
    for p_fit, p_stream in zip(parameters(fitted), parameters(streamed), strict=True):
        assert_allclose(p_stream, p_fit, rtol=1e-12, atol=1e-15)
    assert_allclose(streamed.loss_curve_, fitted.loss_curve_, rtol=1e-12)
    assert streamed.t_ == fitted.t_ == k * N


# -- behaviour of the solvers ----------------------------------------------------------
def weight_norm(est):
    return math.sqrt(sum((W**2).sum() for W in est.coefs_))


@pytest.mark.parametrize("kind", KINDS)
def test_larger_alpha_shrinks_the_weights(kind):
    X, y = make_data(kind)
    norms = [
        weight_norm(
            make_estimator(
                kind, 3, solver="lbfgs", alpha=alpha, max_iter=500, random_state=0
            ).fit(X, y)
        )
        for alpha in (0.1, 1.0, 10.0)
    ]
    assert norms[0] > norms[1] > norms[2]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("solver", ["gd", "sgd", "adam", "lbfgs"])
@pytest.mark.parametrize("kind", KINDS)
def test_same_random_state_gives_identical_weights(kind, solver):
    X, y = make_data(kind)

    def fit(random_state):
        est = make_estimator(
            kind, solver=solver, batch_size=8, max_iter=5, random_state=random_state
        )
        return parameters(est.fit(X, y))

    first, second, other = fit(11), fit(11), fit(12)
    for p, q in zip(first, second, strict=True):
        assert_array_equal(p, q)
    assert not np.array_equal(first[0], other[0])


@pytest.mark.parametrize("solver", ["gd", "sgd", "adam", "lbfgs"])
@pytest.mark.parametrize("kind", KINDS)
def test_convergence_warning_when_max_iter_ends_training(kind, solver):
    X, y = make_data(kind)
    est = make_estimator(kind, solver=solver, max_iter=3, tol=0.0, random_state=0)
    with pytest.warns(ConvergenceWarning, match="maximum iterations \\(3\\)"):
        est.fit(X, y)
    assert est.n_iter_ == 3


@pytest.mark.parametrize("solver", ["gd", "sgd", "adam"])
def test_no_convergence_warning_when_tol_stops_training(solver):
    X, y = make_data("regressor")
    est = make_estimator(
        "regressor",
        solver=solver,
        max_iter=50,
        tol=1e9,  # no epoch ever improves by this much
        n_iter_no_change=3,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est.fit(X, y)
    # the first epoch improves on best_loss_ = inf; then n_iter_no_change + 1 more
    assert est.n_iter_ == 5


# the seed networks and the drop-ins share these parameters
ESTIMATORS = {
    "regressor": lambda **p: make_estimator("regressor", **p),
    "classifier": lambda **p: make_estimator("classifier", **p),
    "mlp_regressor": lambda **p: BackpropMLPRegressor(hidden_layer_sizes=5, **p),
    "mlp_classifier": lambda **p: BackpropMLPClassifier(hidden_layer_sizes=5, **p),
}


@pytest.mark.parametrize("solver", ["gd", "sgd", "adam"])
@pytest.mark.parametrize("kind", ESTIMATORS)
def test_n_iter_no_change_inf_never_stops_on_the_loss(kind, solver):
    X, y = make_data(kind.removeprefix("mlp_"))
    est = ESTIMATORS[kind](
        solver=solver,
        max_iter=12,
        tol=1e9,  # no epoch after the first ever improves by this much
        n_iter_no_change=np.inf,
        random_state=0,
    )
    with pytest.warns(ConvergenceWarning, match="maximum iterations \\(12\\)"):
        est.fit(X, y)
    assert est.n_iter_ == 12
    assert est._no_improvement_count == 11  # every epoch but the first


@pytest.mark.parametrize("kind", ESTIMATORS)
def test_lbfgs_stops_at_max_fun_evaluations_with_scikit_learns_warning(kind):
    X, y = make_data(kind.removeprefix("mlp_"))
    est = ESTIMATORS[kind](
        solver="lbfgs", max_iter=200, max_fun=4, tol=0.0, random_state=0
    )
    calls = []
    objective = optimizers.scipy.optimize.minimize

    def counting_minimize(fun, *args, **kwargs):
        def counted(theta):
            calls.append(1)
            return fun(theta)

        return objective(counted, *args, **kwargs)

    with (
        mock.patch.object(optimizers.scipy.optimize, "minimize", counting_minimize),
        pytest.warns(ConvergenceWarning) as record,
    ):
        est.fit(X, y)
    message = str(record[0].message)
    assert message.startswith("lbfgs failed to converge after")  # scikit-learn's
    assert "max_fun=4" in message
    assert "maximum iterations" not in message
    # scipy checks the limit between iterations: it may finish the line search
    # it began (at most maxls=20 evaluations)
    assert 4 <= len(calls) <= 4 + 20
    assert est.n_iter_ <= 4
    assert est.loss_ == pytest.approx(est.loss_curve_[-1])


@pytest.mark.parametrize("kind", KINDS)
def test_lbfgs_beats_a_few_gd_steps_and_ends_at_a_small_gradient(kind):
    X, y = make_data(kind)
    common = {"alpha": 1.0, "random_state": 0}
    lbfgs = make_estimator(
        kind, 3, solver="lbfgs", tol=1e-10, max_iter=500, **common
    ).fit(X, y)
    gd = make_estimator(kind, 3, solver="gd", learning_rate=0.5, **common)
    for _ in range(5):
        partial_fit(gd, X, y)
    loss_lbfgs, *grads_lbfgs = lbfgs.loss_and_gradients(X, y)
    loss_gd, *_ = gd.loss_and_gradients(X, y)
    assert loss_lbfgs < loss_gd
    assert_allclose(lbfgs.loss_, loss_lbfgs, rtol=1e-10)
    probe = initial_parameters(kind, X, y, 0, alpha=1.0, width=3)
    _, *grads_initial = probe.loss_and_gradients(X, y)
    # scipy also stops on the relative decrease of the loss (ftol), so the gradient
    # is small relative to where training started rather than below tol
    assert flat_norm(grads_lbfgs) < 1e-3 * flat_norm(grads_initial)


def flat_norm(grads):
    """‖(coef_grads, intercept_grads)‖ as one vector."""
    return math.sqrt(sum((g**2).sum() for group in grads for g in group))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_partial_fit_uses_a_learning_rate_changed_between_calls():
    rng = np.random.RandomState(3)
    X, y = rng.randn(30, 4), rng.randn(30)
    reg = TwoLayerSigmoidRegressor(
        hidden_size=5, solver="sgd", momentum=0.5, nesterovs_momentum=False
    )
    reg.set_params(learning_rate=0.1, random_state=0).partial_fit(X, y)
    velocity = reg._optimizer.velocity.copy()
    reg.set_params(learning_rate=0.3)
    _, coef_grads, intercept_grads = reg.loss_and_gradients(X, y)
    before = [w.copy() for w in reg.coefs_]
    reg.partial_fit(X, y)
    # v ← μ v − lr g with the new lr and the carried-over velocity
    n_weights = sum(w.size for w in before)
    expected_velocity = 0.5 * velocity[:n_weights] - 0.3 * np.concatenate(
        [g.ravel() for g in coef_grads]
    )
    moved = np.concatenate(
        [(w - b).ravel() for w, b in zip(reg.coefs_, before, strict=True)]
    )
    assert_allclose(moved, expected_velocity, rtol=1e-10, atol=1e-14)


def test_adam_continued_under_new_betas_keeps_the_textbook_moments(vectors):
    # partial_fit after set_params(beta_1=..., beta_2=...) continues m and v
    # themselves, whatever scaling the optimizer stores them in
    theta, grads = vectors
    before = Adam(0.01, 0.8, 0.95, 1e-8)
    for g in grads:
        before.step(theta, g)
    after = Adam(0.01, 0.5, 0.9, 1e-8)
    after.load_state(before)
    assert after.t == before.t
    assert_allclose(after.m, before.m, rtol=1e-14)
    assert_allclose(after.v, before.v, rtol=1e-14)
    expected = theta.copy()
    m = 0.5 * before.m + 0.5 * grads[0]
    v = 0.9 * before.v + 0.1 * grads[0] ** 2
    lr_t = 0.01 * math.sqrt(1 - 0.9**4) / (1 - 0.5**4)
    expected -= lr_t * m / (np.sqrt(v) + 1e-8)
    after.step(theta, grads[0])
    assert_allclose(theta, expected, rtol=1e-12)
