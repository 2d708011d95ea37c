"""Under ``sklearn.set_config(array_api_dispatch=True)`` the estimators take numpy
input as before and refuse any other array namespace with a clear message."""

import array_api_strict
import numpy as np
import pytest
import sklearn
from numpy.testing import assert_array_equal

from skbackprop import (
    BackpropMLPClassifier,
    BackpropMLPRegressor,
    SoftmaxMLPClassifier,
    TwoLayerSigmoidRegressor,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

RNG = np.random.RandomState(0)
X = RNG.randn(40, 3)
Y_CLF = (X[:, 0] > 0).astype(np.int64)
Y_REG = X[:, 0] - X[:, 1]
ESTIMATORS = {
    "classifier": lambda: SoftmaxMLPClassifier(hidden_layer_sizes=(5,), max_iter=3),
    "regressor": lambda: TwoLayerSigmoidRegressor(hidden_size=5, max_iter=3),
    "mlp_regressor": lambda: BackpropMLPRegressor(hidden_layer_sizes=(5,), max_iter=3),
    "mlp_classifier": lambda: BackpropMLPClassifier(
        hidden_layer_sizes=(5,), max_iter=3
    ),
}
NUMPY_ADVICE = r"computes in numpy.*array_api_strict.*np\.asarray"


def target(kind):
    return Y_CLF if kind.endswith("classifier") else Y_REG


def strict(array):
    return array_api_strict.asarray(array)


@pytest.fixture
def dispatch():
    with sklearn.config_context(array_api_dispatch=True):
        yield


def fit_kwargs(kind, method):
    if kind.endswith("classifier") and method == "partial_fit":
        return {"classes": [0, 1]}
    return {}


@pytest.mark.parametrize("argument", ["X", "y"])
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
@pytest.mark.parametrize("kind", ESTIMATORS)
def test_training_on_another_namespace_says_to_pass_numpy(
    kind, method, argument, dispatch
):
    est = ESTIMATORS[kind]()
    data = {"X": X, "y": target(kind)}
    data[argument] = strict(data[argument])
    with pytest.raises(TypeError, match=rf"\.{method} {NUMPY_ADVICE}\({argument}\)"):
        getattr(est, method)(data["X"], data["y"], **fit_kwargs(kind, method))
    assert not hasattr(est, "n_features_in_")  # nothing half-fitted


@pytest.mark.parametrize("kind", ESTIMATORS)
def test_validation_data_of_another_namespace_says_to_pass_numpy(kind, dispatch):
    est = ESTIMATORS[kind]()
    with pytest.raises(TypeError, match=rf"{NUMPY_ADVICE}\(X_val\)"):
        est.fit(X, target(kind), X_val=strict(X), y_val=target(kind))


@pytest.mark.parametrize("kind", ESTIMATORS)
def test_prediction_on_another_namespace_says_to_pass_numpy(kind, dispatch):
    est = ESTIMATORS[kind]().fit(X, target(kind))
    methods = ["predict", "score"]
    if kind.endswith("classifier"):
        methods += ["predict_proba", "predict_log_proba", "decision_function"]
    for method in methods:
        args = (strict(X), target(kind)) if method == "score" else (strict(X),)
        with pytest.raises(TypeError, match=rf"{NUMPY_ADVICE}\(X\)"):
            getattr(est, method)(*args)


@pytest.mark.parametrize("kind", ESTIMATORS)
def test_numpy_input_under_dispatch_trains_and_predicts_as_without_it(kind):
    def run():
        est = ESTIMATORS[kind]().set_params(random_state=0)
        est.fit(X, target(kind)).partial_fit(X, target(kind), sample_weight=2.0)
        return est.predict(X)

    expected = run()
    with sklearn.config_context(array_api_dispatch=True):
        assert_array_equal(run(), expected)
