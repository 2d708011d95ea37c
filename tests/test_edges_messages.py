"""Errors and warnings at the edges of 0.2 name the cause and the parameter at
fault, and never advise what is already set."""

import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import InvalidParameterError

from skbackprop import (
    Activation,
    BackpropMLPRegressor,
    SoftmaxMLPClassifier,
    ValidationScaleWarning,
    check_activation,
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def data():
    rng = np.random.RandomState(0)
    X = rng.randn(60, 3)
    return X, X[:, 0] - 0.5 * X[:, 1]


def log_plus_7(a):
    return np.log(a + 7.0)  # finite on [-6, 6], NaN below -7


def log_plus_7_derivative(a, z):
    return 1.0 / (a + 7.0)


def test_an_activation_nan_beyond_the_grid_is_named_not_the_learning_rate(data):
    X, y = data
    activation = Activation(log_plus_7, log_plus_7_derivative)
    assert check_activation(activation).max_relative_error < 1e-5
    est = BackpropMLPRegressor(
        hidden_layer_sizes=(4,), activation=activation, random_state=0
    )
    with pytest.raises(ValueError, match="'log_plus_7' returned a non-finite value"):
        est.fit(X * 100, y)
    assert not hasattr(est, "coefs_")


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_an_activation_nan_at_the_end_of_training_is_named(data, solver):
    X, y = data
    activation = Activation(log_plus_7, log_plus_7_derivative)
    est = BackpropMLPRegressor(
        hidden_layer_sizes=(4,), activation=activation, random_state=0, solver=solver
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)  # trains on inputs that keep a above -7
    with pytest.raises(ValueError, match="non-finite value"):
        est.set_params(warm_start=True, max_iter=1).fit(
            np.r_[X, [[-1e3] * 3]], np.r_[y, 0]
        )


@pytest.mark.parametrize(
    "args, name",
    [
        (("swish",), "activation"),
        ((3.0,), "activation"),
        (("tanh", np.int64), "dtype"),
        (("tanh", np.float16), "dtype"),
        (("tanh", np.complex128), "dtype"),
        (("tanh", "no dtype"), "dtype"),
        (("tanh", None), "dtype"),
    ],
)
def test_check_activation_validates_its_arguments(args, name):
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter"):
        check_activation(*args)


def test_check_activation_takes_any_spelling_of_a_float_dtype():
    assert check_activation("tanh", "float32").max_relative_error < 1e-5
    assert check_activation("tanh", np.dtype(np.float64)).max_relative_error < 1e-5


def test_one_validation_sample_under_early_stopping_is_an_error(data):
    X, y = data
    est = BackpropMLPRegressor(hidden_layer_sizes=3, early_stopping=True)
    with pytest.warns(Warning), pytest.raises(ValueError, match="R² is undefined"):
        est.fit(X, y, X_val=X[:1], y_val=y[:1])
    assert not hasattr(est, "coefs_")


def nan_scorer(estimator, X, y, sample_weight=None):
    return float("nan")


def test_a_nan_scorer_under_early_stopping_is_an_error(data):
    X, y = data
    est = BackpropMLPRegressor(hidden_layer_sizes=3, early_stopping=True)
    with pytest.raises(ValueError, match="scoring=<function nan_scorer"):
        est.set_params(scoring=nan_scorer).fit(X, y)


def test_a_nan_validation_score_without_early_stopping_warns_once(data):
    X, y = data
    est = BackpropMLPRegressor(hidden_layer_sizes=3, max_iter=5, scoring=nan_scorer)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(X, y, X_val=X, y_val=y)
    nan_warnings = [w for w in caught if "validation score" in str(w.message)]
    assert len(nan_warnings) == 1
    assert len(est.validation_scores_) == 5


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_divergence_advice_never_names_the_solver_in_use(data, solver):
    X, y = data
    est = BackpropMLPRegressor(solver=solver, learning_rate=1e300, random_state=0)
    with pytest.raises(ValueError, match="learning_rate") as error:
        est.fit(X * 1e3, y * 1e3)
    assert f"solver='{solver}'" not in str(error.value)


def test_loss_growth_advice_never_names_the_solver_in_use():
    rng = np.random.RandomState(0)
    X = rng.randn(200, 2)
    y = X @ [3.0, -2.0]
    est = BackpropMLPRegressor(
        hidden_layer_sizes=(8,),
        learning_rate=10.0,
        max_iter=30,
        random_state=0,
    )
    with pytest.warns(ConvergenceWarning, match="grew") as record:
        est.fit(X, y)
    assert all("solver='adam'" not in str(w.message) for w in record)


def test_a_scorer_name_the_estimator_cannot_serve_is_refused_at_once(data):
    X, y = data
    est = BackpropMLPRegressor(
        hidden_layer_sizes=3, scoring="neg_log_loss", early_stopping=True
    )
    with pytest.raises(ValueError, match="scoring='neg_log_loss' needs predict_proba"):
        est.fit(X, y)


def unweighted_scorer(estimator, X, y):
    return estimator.score(X, y)


def test_a_scorer_without_sample_weight_on_weighted_validation_names_scoring(data):
    X, y = data
    clf = SoftmaxMLPClassifier(
        hidden_layer_sizes=3,
        class_weight="balanced",
        early_stopping=True,
        scoring=unweighted_scorer,
    )
    with pytest.raises(ValueError, match="scoring=.*takes no sample_weight"):
        clf.fit(X, y > 0)


def test_warm_start_across_activation_aliases_continues(data):
    X, y = data
    est = BackpropMLPRegressor(
        hidden_layer_sizes=3, activation="sigmoid", max_iter=2, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
        est.set_params(activation="logistic", warm_start=True).fit(X, y)
    assert est.n_iter_ == 2 and len(est.loss_curve_) == 4


def test_y_val_on_another_scale_than_y_warns_and_names_the_remedy(data):
    X, y = data
    y_scaled = (y - y.mean()) / y.std()
    est = BackpropMLPRegressor(hidden_layer_sizes=3, max_iter=2, random_state=0)
    with pytest.warns(ValidationScaleWarning, match="TransformedTargetRegressor"):
        est.fit(X, y_scaled, X_val=X, y_val=y_scaled * 3 + 20)


def test_y_val_on_the_scale_of_y_does_not_warn(data):
    X, y = data
    est = BackpropMLPRegressor(hidden_layer_sizes=3, max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ValidationScaleWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y, X_val=X[:5] + 1, y_val=y[:5] + 2 * y.std())
        est.partial_fit(X, y, X_val=X, y_val=-y)


def run_python_blocks(path):
    text = (ROOT / path).read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert blocks
    for block in blocks:
        exec(compile(block, str(path), "exec"), {})


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_the_guide_page_runs_as_written():
    run_python_blocks("docs/guide/training-checks.md")
