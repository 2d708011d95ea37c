"""A training call never returns weights that predict non-finite values on its
training data: the check at its end is a forward pass over all of it."""

import numpy as np
import pytest

from skbackprop import BackpropMLPRegressor


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
