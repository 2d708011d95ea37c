"""A weight of 0 ignores a sample or a class (README): minibatches made only of
zero-weight samples are skipped, wherever they fall in the epoch, and training
ends with a model that predicts finite values."""

import numpy as np
import pytest

from skbackprop import SoftmaxMLPClassifier, TwoLayerSigmoidRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

X_TWO = np.array([[0.0], [1.0]])


def two_sample_case(kind, weighting, seed):
    """A one-sample-per-batch estimator, its data, and the keyword arguments of
    fit that give the second sample a weight of 0; the seed shuffles the two."""
    params = {"batch_size": 1, "max_iter": 1, "random_state": seed}
    if kind == "regressor":
        return TwoLayerSigmoidRegressor(**params), np.array([0.0, 1.0]), {}
    if weighting == "class_weight":
        params["class_weight"] = {0: 1.0, 1: 0.0}
    return SoftmaxMLPClassifier(hidden_layer_sizes=3, **params), np.array([0, 1]), {}


def assert_finite_model(est, X):
    assert all(np.isfinite(W).all() for W in est.coefs_ + est.intercepts_)
    assert np.isfinite(est.predict(X).astype(float)).all()
    assert np.isfinite(est.loss_)


ZERO_LAST_CASES = [
    ("regressor", "sample_weight"),
    ("classifier", "sample_weight"),
    ("classifier", "class_weight"),
]


@pytest.mark.parametrize("kind, weighting", ZERO_LAST_CASES)
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_zero_weight_batch_after_the_last_step_trains(kind, weighting, method):
    # With either order of the two samples, the skipped zero-weight batch may come
    # after the last step: the final check of that step must look at the batch it
    # stepped on, not at the reused buffer the skipped batch overwrote.
    for seed in range(4):
        est, y, kwargs = two_sample_case(kind, weighting, seed)
        if weighting == "sample_weight":
            kwargs["sample_weight"] = [1.0, 0.0]
        if method == "fit":
            est.fit(X_TWO, y, **kwargs)
        elif kind == "classifier":
            est.partial_fit(X_TWO, y, classes=[0, 1], **kwargs)
        else:
            est.partial_fit(X_TWO, y, **kwargs)
        assert_finite_model(est, X_TWO)


@pytest.mark.parametrize("kind", ["regressor", "classifier"])
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_zero_weight_samples_in_shuffled_minibatches_train_for_every_seed(kind, solver):
    X = np.arange(6, dtype=float).reshape(-1, 1)
    w = np.array([1.0, 0.0, 0.0, 1.0, 0.0, 0.0])
    y = X.ravel() / 5 if kind == "regressor" else np.array([0, 1, 0, 1, 0, 1])
    for seed in range(10):  # the skipped batches fall anywhere in the order
        params = {
            "solver": solver,
            "batch_size": 2,
            "max_iter": 3,
            "random_state": seed,
        }
        if kind == "regressor":
            est = TwoLayerSigmoidRegressor(hidden_size=3, **params)
        else:
            est = SoftmaxMLPClassifier(hidden_layer_sizes=3, **params)
        est.fit(X, y, sample_weight=w)
        assert_finite_model(est, X)
