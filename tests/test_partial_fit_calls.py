"""partial_fit's per-call shortcuts keep every check and the all-or-nothing promise.

A continued ``partial_fit`` reuses the validated hyper-parameters, takes numpy
arrays already in the model's dtype without scikit-learn's validation, appends to
the curves in place and copies the random stream only when it draws.
"""

import numpy as np
import pytest
from sklearn.utils._param_validation import InvalidParameterError

from skbackprop import BackpropMLPRegressor, SoftmaxMLPClassifier


@pytest.fixture
def data():
    rng = np.random.RandomState(0)
    X = rng.randn(60, 4)
    return X, X[:, 0] - X[:, 1]


def test_parameters_changed_by_set_params_are_validated_again(data):
    X, y = data
    est = BackpropMLPRegressor(hidden_layer_sizes=3, random_state=0)
    est.partial_fit(X, y).partial_fit(X, y)
    est.set_params(learning_rate=-1.0)
    with pytest.raises(InvalidParameterError, match="learning_rate"):
        est.partial_fit(X, y)


def test_a_dict_parameter_changed_in_place_is_validated_again(data):
    X, y = data
    weights = {0: 1.0, 1: 1.0}
    clf = SoftmaxMLPClassifier(hidden_layer_sizes=3, class_weight=weights)
    clf.partial_fit(X, y > 0, classes=[False, True]).partial_fit(X, y > 0)
    weights[0] = -1.0
    with pytest.raises(ValueError, match="class_weight"):
        clf.partial_fit(X, y > 0)


def test_arrays_and_lists_train_the_same_model(data):
    X, y = data
    fast = BackpropMLPRegressor(hidden_layer_sizes=3, batch_size=7, random_state=0)
    full = BackpropMLPRegressor(hidden_layer_sizes=3, batch_size=7, random_state=0)
    for _ in range(3):
        fast.partial_fit(X, y)
        full.partial_fit(X.tolist(), y.tolist())
    np.testing.assert_array_equal(fast._params.flat, full._params.flat)
    assert fast.loss_curve_ == full.loss_curve_


@pytest.mark.parametrize(
    "X_bad", [np.full((60, 4), np.nan), np.ones((60, 5)), np.ones((60, 4), np.float32)]
)
def test_arrays_the_shortcut_does_not_take_get_the_full_checks(data, X_bad):
    X, y = data
    est = BackpropMLPRegressor(hidden_layer_sizes=3, random_state=0)
    est.partial_fit(X, y)
    if X_bad.dtype == np.float32:  # converted to the model's dtype, as before
        est.partial_fit(X_bad, y)
        return
    with pytest.raises(ValueError, match="NaN|features"):
        est.partial_fit(X_bad, y)


def failing_scorer(estimator, X, y):
    raise RuntimeError("scorer failed")


def test_a_failed_partial_fit_leaves_the_curves_as_they_were(data):
    X, y = data
    est = BackpropMLPRegressor(hidden_layer_sizes=3, random_state=0)
    est.partial_fit(X, y, X_val=X, y_val=y).partial_fit(X, y, X_val=X, y_val=y)
    curves = [
        list(est.loss_curve_),
        list(est.learning_rate_curve_),
        list(est.validation_scores_),
        list(est.validation_loss_curve_),
    ]
    est.set_params(scoring=failing_scorer)  # fails once the epoch is recorded
    with pytest.raises(RuntimeError, match="scorer failed"):
        est.partial_fit(X, y, X_val=X, y_val=y)
    assert curves == [
        est.loss_curve_,
        est.learning_rate_curve_,
        est.validation_scores_,
        est.validation_loss_curve_,
    ]


def test_a_failed_shuffling_partial_fit_leaves_the_random_stream(data):
    X, y = data
    est = BackpropMLPRegressor(hidden_layer_sizes=3, batch_size=5, random_state=0)
    est.partial_fit(X, y)
    state = est._rng.get_state()[1].copy()
    est.set_params(scoring=failing_scorer)
    with pytest.raises(RuntimeError, match="scorer failed"):
        est.partial_fit(X, y, X_val=X, y_val=y)
    np.testing.assert_array_equal(est._rng.get_state()[1], state)
