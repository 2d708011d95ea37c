"""Training you can steer: schedules, Nesterov, the growing-loss warning (§6.3).

Where scikit-learn's MLP has the same thing, the loss curve equals its own given
the same initial weights (same ``random_state``) and batch order (full batch).
"""

import math
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_diabetes, load_iris, make_friedman1
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import StandardScaler

from skbackprop import (
    BackpropMLPRegressor,
    SoftmaxMLPClassifier,
    TwoLayerSigmoidRegressor,
)

SCHEDULES = ["constant", "invscaling", "adaptive", "cosine"]


@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    return StandardScaler().fit_transform(X), (y - y.mean()) / y.std()


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def pair(kind, n_samples, schedule, nesterov, **params):
    """Ours and scikit-learn's sgd, full batch in a fixed order, same weights."""
    shared = {
        "solver": "sgd",
        "batch_size": n_samples,
        "shuffle": False,
        "momentum": 0.9,
        "nesterovs_momentum": nesterov,
        "power_t": 0.25,
        "random_state": 0,
        "alpha": 1e-3,
        **params,
    }
    rate = shared.pop("learning_rate")
    ours = {"learning_rate": rate, "learning_rate_schedule": schedule}
    theirs = {"learning_rate_init": rate, "learning_rate": schedule}
    if kind == "mlp_regressor":
        return (
            BackpropMLPRegressor(
                hidden_layer_sizes=(8, 5), activation="tanh", **shared, **ours
            ),
            MLPRegressor(
                hidden_layer_sizes=(8, 5), activation="tanh", **shared, **theirs
            ),
        )
    if kind == "regressor":
        return (
            TwoLayerSigmoidRegressor(hidden_size=8, **shared, **ours),
            MLPRegressor(
                hidden_layer_sizes=(8,), activation="logistic", **shared, **theirs
            ),
        )
    return (
        SoftmaxMLPClassifier(hidden_layer_sizes=(8,), **shared, **ours),
        MLPClassifier(hidden_layer_sizes=(8,), **shared, **theirs),
    )


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("kind", ["regressor", "mlp_regressor", "classifier"])
@pytest.mark.parametrize(
    "schedule, nesterov",
    [
        ("constant", True),
        ("constant", False),
        ("invscaling", True),
        ("invscaling", False),
        ("adaptive", True),
    ],
)
def test_sgd_loss_curve_equals_scikit_learns(kind, schedule, nesterov, diabetes, iris):
    X, y = iris if kind == "classifier" else diabetes
    # adaptive: a tol that is soon out of reach makes plateaus, each dividing the
    # rate by 5, until it falls to 1e-6 and training stops
    params = (
        {"tol": 1e-3, "n_iter_no_change": 2, "max_iter": 200}
        if schedule == "adaptive"
        else {"tol": 0.0, "n_iter_no_change": 100, "max_iter": 40}
    )
    ours, theirs = pair(kind, len(X), schedule, nesterov, learning_rate=0.1, **params)
    ours.fit(X, y)
    theirs.fit(X, y)
    assert ours.n_iter_ == theirs.n_iter_
    if schedule == "adaptive":
        assert ours.n_iter_ < params["max_iter"]  # stopped by the schedule
        assert ours.learning_rate_curve_[-1] <= 1e-6
    assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-10)


def test_default_sgd_is_nesterov_and_differs_from_heavy_ball(diabetes):
    X, y = diabetes
    params = {"solver": "sgd", "learning_rate": 0.05, "max_iter": 5, "random_state": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        default = TwoLayerSigmoidRegressor(**params).fit(X, y)
        heavy = TwoLayerSigmoidRegressor(nesterovs_momentum=False, **params).fit(X, y)
    assert TwoLayerSigmoidRegressor().nesterovs_momentum is True
    assert default.loss_curve_[-1] != heavy.loss_curve_[-1]


# -- each schedule's rates -------------------------------------------------------------
def fit_quietly(est, X, y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y, **kwargs)


@pytest.mark.parametrize("solver", ["gd", "sgd", "adam"])
def test_invscaling_rate_is_eta_over_samples_seen_plus_one_to_power_t(solver, diabetes):
    X, y = diabetes
    est = TwoLayerSigmoidRegressor(
        hidden_size=4,
        solver=solver,
        learning_rate=0.01,
        learning_rate_schedule="invscaling",
        power_t=0.3,
        max_iter=6,
        tol=0.0,
        random_state=0,
    )
    fit_quietly(est, X, y)
    n = len(X)
    expected = [0.01 / (e * n + 1) ** 0.3 for e in range(6)]
    assert_allclose(est.learning_rate_curve_, expected, rtol=1e-15)


@pytest.mark.parametrize("solver", ["gd", "sgd", "adam"])
def test_cosine_rate_follows_half_a_cosine_over_max_iter(solver, diabetes):
    X, y = diabetes
    est = TwoLayerSigmoidRegressor(
        hidden_size=4,
        solver=solver,
        learning_rate=0.02,
        learning_rate_schedule="cosine",
        max_iter=7,
        tol=0.0,
        random_state=0,
    )
    fit_quietly(est, X, y)
    expected = [0.02 * 0.5 * (1 + math.cos(math.pi * e / 7)) for e in range(7)]
    assert_allclose(est.learning_rate_curve_, expected, rtol=1e-15)
    assert est.learning_rate_curve_[0] == 0.02


@pytest.mark.parametrize("solver", ["gd", "adam"])
def test_adaptive_rate_divides_by_five_at_each_plateau_and_stops_at_1e_6(
    solver, diabetes
):
    X, y = diabetes
    est = TwoLayerSigmoidRegressor(
        hidden_size=4,
        solver=solver,
        learning_rate=0.01,
        learning_rate_schedule="adaptive",
        tol=10.0,  # no epoch ever improves by tol: a plateau every 3 epochs
        n_iter_no_change=2,
        max_iter=500,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est.fit(X, y)
    # The first epoch improves on an infinite best loss; then a plateau every
    # n_iter_no_change + 1 = 3 epochs divides the rate by 5. 0.01 / 5^k for k = 0..6:
    # the 7th rate, 6.4e-7, is the first ≤ 1e-6, and its plateau stops training.
    expected = [0.01, *np.repeat([0.01 / 5**k for k in range(7)], 3)]
    assert_allclose(est.learning_rate_curve_, expected, rtol=1e-12)
    assert est.n_iter_ == 22


@pytest.mark.parametrize("schedule", ["invscaling", "cosine"])
def test_gd_steps_with_the_scheduled_rate(schedule, diabetes):
    X, y = diabetes
    # full-batch gd: θ₂ = θ₁ − η₁ ∇L(θ₁), η₁ the rate of the second epoch
    est = TwoLayerSigmoidRegressor(
        hidden_size=4,
        solver="gd",
        learning_rate=0.5,
        learning_rate_schedule=schedule,
        max_iter=3,
        random_state=0,
    )
    est.partial_fit(X, y)
    _, coef_grads, intercept_grads = est.loss_and_gradients(X, y)
    before = [p.copy() for p in est.coefs_ + est.intercepts_]
    est.partial_fit(X, y)
    rate = est.learning_rate_curve_[1]
    assert rate < 0.5
    for p, p0, g in zip(
        est.coefs_ + est.intercepts_, before, coef_grads + intercept_grads, strict=True
    ):
        assert_allclose(p, p0 - rate * g, rtol=1e-12, atol=1e-15)


def test_partial_fit_keeps_an_adaptive_rate_lowered_by_earlier_calls(diabetes):
    X, y = diabetes
    est = TwoLayerSigmoidRegressor(
        hidden_size=4,
        solver="sgd",
        learning_rate=0.01,
        learning_rate_schedule="adaptive",
        tol=10.0,
        n_iter_no_change=1,
        random_state=0,
    )
    for _ in range(6):
        est.partial_fit(X, y)
    # the first call improves on an infinite best loss, then a plateau after
    # every 2 calls divides the rate by 5, carried into the next call
    assert_allclose(
        est.learning_rate_curve_, [0.01, 0.01, 0.01, 2e-3, 2e-3, 4e-4], rtol=1e-12
    )


def test_lbfgs_records_no_learning_rate(iris):
    X, y = iris
    est = fit_quietly(
        SoftmaxMLPClassifier(hidden_layer_sizes=4, solver="lbfgs", max_iter=5), X, y
    )
    assert est.learning_rate_curve_ == []


# -- a loss that grows without becoming non-finite -----------------------------------
def test_growing_loss_warns_and_names_the_learning_rate():
    # the reproducer: gd with too large a rate ends at R² ≈ −4e7
    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    est = TwoLayerSigmoidRegressor(
        hidden_size=10, solver="gd", learning_rate=1.0, random_state=0
    )
    with pytest.warns(ConvergenceWarning, match=r"grew.*learning_rate=1\.0"):
        est.fit(X, y)
    assert est.loss_curve_[-1] > 100 * est.loss_curve_[0]
    assert np.isfinite(est.loss_curve_).all()


def test_a_loss_that_falls_does_not_warn(diabetes):
    X, y = diabetes
    est = TwoLayerSigmoidRegressor(
        hidden_size=10, solver="gd", learning_rate=0.1, max_iter=50, tol=0.1
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est.fit(X, y)
    assert est.loss_curve_[-1] < est.loss_curve_[0]


def test_loss_growing_less_than_a_hundredfold_does_not_warn(diabetes):
    X, y = diabetes
    est = TwoLayerSigmoidRegressor(
        hidden_size=10, solver="gd", learning_rate=1.0, random_state=0, max_iter=3
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(X, y)
    grew = [w for w in caught if "grew" in str(w.message)]
    assert (est.loss_curve_[-1] > 100 * est.loss_curve_[0]) == bool(grew)


def test_schedule_parameters_are_stored_as_given():
    for cls in (SoftmaxMLPClassifier, TwoLayerSigmoidRegressor):
        est = cls(
            learning_rate_schedule="cosine",
            power_t=0.7,
            nesterovs_momentum=False,
            scoring="loss",
        )
        params = est.get_params()
        assert_array_equal(
            [params[k] for k in ("learning_rate_schedule", "power_t", "scoring")],
            ["cosine", "0.7", "loss"],
        )
        assert params["nesterovs_momentum"] is False


def test_adaptive_schedule_carries_on_where_a_constant_rate_stops_on_a_plateau():
    # the reproducer: friedman1 fits that stop silently on a plateau
    X, y = make_friedman1(n_samples=300, noise=1.0, random_state=0)
    X = StandardScaler().fit_transform(X)
    scores, epochs = {}, {}
    for schedule in ("constant", "adaptive"):
        est = TwoLayerSigmoidRegressor(
            hidden_size=64,
            solver="sgd",
            learning_rate=0.05,
            learning_rate_schedule=schedule,
            tol=1e-3,
            n_iter_no_change=5,
            max_iter=300,
            random_state=0,
        )
        fit_quietly(est, X, y)
        scores[schedule], epochs[schedule] = est.score(X, y), est.n_iter_
    assert epochs["constant"] < 50 < epochs["adaptive"]
    assert scores["adaptive"] > scores["constant"]


def test_poisson_on_large_counts_reports_a_falling_nonnegative_loss():
    # 0.2 left out the terms in y alone: its loss fell from −15 to −622 on these
    # counts and the growth warning fired, telling an adam fit to use adam
    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    est = BackpropMLPRegressor(loss="poisson", max_iter=30, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter only
        warnings.filterwarnings("error", message=".*grew", category=ConvergenceWarning)
        est.fit(X, y)
    assert min(est.loss_curve_) >= 0
    assert est.loss_curve_[-1] < est.loss_curve_[0]


@pytest.mark.parametrize("solver", ["gd", "sgd", "adam"])
def test_growth_warning_never_suggests_the_solver_in_use(solver):
    from skbackprop._training import _warn_if_loss_grew

    est = BackpropMLPRegressor(solver=solver, learning_rate=0.5)
    with pytest.warns(ConvergenceWarning, match="grew") as record:
        _warn_if_loss_grew(est, [1.0, 500.0])
    message = str(record[0].message)
    assert ("solver='adam'" in message) == (solver != "adam")
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        _warn_if_loss_grew(est, [0.0, 1e-18])  # rounding around a perfect fit
        _warn_if_loss_grew(est, [2.0, 150.0])
