"""A training call never returns weights that predict non-finite values on its
training data: the check at its end certifies it from a bound on the outputs, or
else by a forward pass over all of it."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skbackprop import BackpropMLPRegressor, _runner
from skbackprop._activations import ACTIVATIONS
from skbackprop._network import forward
from skbackprop._parameters import Architecture, Parameters
from skbackprop._runner import output_bound


def test_a_clamped_poisson_output_is_a_divergence_not_a_prediction():
    # One far-off count pulls a_L of its row past log(max float) in one step:
    # ŷ is clamped at 1.8e308, and the loss of the step stays finite.
    X = np.full((30, 2), -50.0)
    X[0] = 3.0
    y = np.ones(30)
    est = BackpropMLPRegressor(
        hidden_layer_sizes=(3,),
        activation="identity",
        loss="poisson",
        solver="gd",
        learning_rate=3e-4,
        random_state=0,
    ).partial_fit(X, y)
    before = est._params.flat.copy()
    y[0] = 1e6
    with pytest.raises(ValueError, match="diverged"):
        est.partial_fit(X, y)
    np.testing.assert_array_equal(est._params.flat, before)


def test_a_row_no_step_looked_at_is_checked_too():
    # A zero-weight row is skipped by every step (batch_size=1), so no loss
    # ever measures it; the final forward pass does.
    X = np.ones((6, 2), np.float32)
    X[0] = 3e38
    y = np.zeros(6, np.float32)
    w = np.ones(6)
    w[0] = 0.0
    est = BackpropMLPRegressor(
        hidden_layer_sizes=(4, 4),
        activation="identity",
        solver="sgd",
        batch_size=1,
        shuffle=False,
        max_iter=1,
        random_state=0,
    )
    with pytest.raises(ValueError, match="diverged"):
        est.fit(X, y, sample_weight=w)
    assert not hasattr(est, "coefs_")


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_the_output_bound_holds_for_every_builtin_activation(activation):
    rng = np.random.RandomState(0)
    for scale in (0.1, 1.0, 30.0):
        architecture = Architecture((4, 6, 5, 2), activation, "identity")
        params = Parameters(architecture, rng.randn(architecture.n_parameters) * scale)
        X = rng.randn(50, 4) * scale
        a_L = forward(params, X)[-1]
        assert np.abs(a_L).max() <= output_bound(params, X)


def test_a_sane_model_is_certified_without_a_forward_pass(monkeypatch):
    rng = np.random.RandomState(0)
    X = rng.randn(300, 3)
    y = X[:, 0]

    def no_forward(*args, **kwargs):
        raise AssertionError("the final check ran a forward pass")

    monkeypatch.setattr(_runner, "forward", no_forward)
    est = BackpropMLPRegressor(hidden_layer_sizes=(8,), max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y).partial_fit(X, y)
