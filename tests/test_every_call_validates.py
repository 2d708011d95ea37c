"""Every call checks what it is given (SPEC §3): hyper-parameters changed with
``set_params`` between ``partial_fit`` calls, the arguments of the gradient window,
``classes=``, class and sample weights, and early stopping's split — each error
names the argument at fault, and a failed call leaves a ``RandomState`` instance
passed as ``random_state`` exactly as it was."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.utils._param_validation import InvalidParameterError

from skbackprop import SoftmaxMLPClassifier, TwoLayerSigmoidRegressor, check_gradients

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

RNG = np.random.RandomState(0)
X = RNG.randn(20, 2)
Y_CLF = (X[:, 0] > 0).astype(int)
Y_REG = X @ np.array([1.0, -0.5])


def partial_fitted(kind, **params):
    params = {"random_state": 0, **params}
    if kind == "regressor":
        return TwoLayerSigmoidRegressor(hidden_size=3, **params).partial_fit(X, Y_REG)
    clf = SoftmaxMLPClassifier(hidden_layer_sizes=3, **params)
    return clf.partial_fit(X, Y_CLF, classes=[0, 1])


def target(est):
    return Y_CLF if isinstance(est, SoftmaxMLPClassifier) else Y_REG


def state(est):
    """Everything the estimator learned, pickled for a bitwise comparison."""
    return pickle.dumps(
        {k: v for k, v in vars(est).items() if k not in est.get_params(deep=False)}
    )


# -- hyper-parameters changed between partial_fit calls ------------------------------
CHANGED = [
    ("learning_rate", -0.1),
    ("alpha", -1.0),
    ("momentum", 5.0),
    ("solver", "newton"),
    ("batch_size", 0),
    ("batch_size", "big"),
    ("beta_1", 1.0),
    ("epsilon", 0.0),
    ("max_iter", 0),
    ("learning_rate_schedule", "optimal"),
    ("power_t", -1.0),
    ("scoring", "no_such_scorer"),
    ("nesterovs_momentum", "yes"),
]


@pytest.mark.parametrize("kind", ["regressor", "classifier"])
@pytest.mark.parametrize("name, value", CHANGED)
def test_partial_fit_on_fitted_model_validates_changed_hyper_parameter(
    kind, name, value
):
    est = partial_fitted(kind)
    before = state(est)
    est.set_params(**{name: value})
    with pytest.raises(InvalidParameterError, match=f"The '{name}' parameter"):
        est.partial_fit(X, target(est))
    assert state(est) == before


def test_partial_fit_on_fitted_model_validates_class_weight_option():
    est = partial_fitted("classifier")
    before = state(est)
    est.set_params(class_weight="bal")
    with pytest.raises(InvalidParameterError, match="The 'class_weight' parameter"):
        est.partial_fit(X, Y_CLF)
    assert state(est) == before


@pytest.mark.parametrize("kind", ["regressor", "classifier"])
@pytest.mark.parametrize("function", ["loss_and_gradients", "check_gradients"])
def test_gradient_window_validates_hyper_parameters(kind, function):
    est = partial_fitted(kind)
    est.set_params(alpha=np.nan)
    name = type(est).__name__  # the estimator's parameter, not check_gradients'
    with pytest.raises(InvalidParameterError, match=f"'alpha' parameter of {name}"):
        if function == "loss_and_gradients":
            est.loss_and_gradients(X, target(est))
        else:
            check_gradients(est, X, target(est))


@pytest.mark.parametrize("eps", [0, -1e-6, np.nan, np.inf, "small"])
def test_check_gradients_rejects_a_step_that_is_not_positive_and_finite(eps):
    est = partial_fitted("classifier")
    with pytest.raises(InvalidParameterError, match="The 'eps' parameter"):
        check_gradients(est, X, Y_CLF, eps=eps)


# -- classes= and class weights -------------------------------------------------------
@pytest.mark.parametrize(
    "classes, message",
    [
        ([], r"classes=\[\] lists 0 label\(s\).*at least 2"),
        ([1], r"classes=\[1\] lists 1 label\(s\).*at least 2"),
        ([[0, 1]], r"classes must be a 1-D array-like.*shape \(1, 2\)"),
    ],
)
def test_first_partial_fit_with_unusable_classes_names_classes(classes, message):
    est = SoftmaxMLPClassifier(hidden_layer_sizes=3, random_state=0)
    with pytest.raises(ValueError, match=message):
        est.partial_fit(X, Y_CLF, classes=classes)
    assert state(est) == pickle.dumps({})


def test_later_partial_fit_with_two_dimensional_classes_names_classes():
    est = partial_fitted("classifier")
    before = state(est)
    with pytest.raises(ValueError, match="classes must be a 1-D array-like"):
        est.partial_fit(X, Y_CLF, classes=[[0, 1]])
    assert state(est) == before


@pytest.mark.parametrize("value", [np.nan, np.inf, -1.0, "heavy"])
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_class_weight_that_is_not_a_finite_non_negative_number_names_it(value, method):
    est = SoftmaxMLPClassifier(
        hidden_layer_sizes=3, class_weight={0: value, 1: 1.0}, random_state=0
    )
    with pytest.raises(ValueError, match="class_weight must map each class to a"):
        if method == "fit":
            est.fit(X, Y_CLF)
        else:
            est.partial_fit(X, Y_CLF, classes=[0, 1])
    assert state(est) == pickle.dumps({})


# -- huge sample weights --------------------------------------------------------------
@pytest.mark.parametrize("kind", ["regressor", "classifier"])
def test_sample_weights_beyond_float32_raise_naming_sample_weight_without_warning(kind):
    est = TwoLayerSigmoidRegressor() if kind == "regressor" else SoftmaxMLPClassifier()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"(?s)sum to 2e\+301.*float32.*sample_w"):
            est.fit(X.astype(np.float32), target(est), sample_weight=np.full(20, 1e300))


@pytest.mark.parametrize("kind", ["regressor", "classifier"])
@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_huge_float64_sample_weights_give_the_finite_weighted_mean_loss(kind, solver):
    # w_i · loss_i overflows for weights near the float range, the weighted mean
    # does not: the fit is the one of unit weights but for the vanishing L2 term.
    params = {"solver": solver, "max_iter": 3, "random_state": 0, "alpha": 0.0}
    if kind == "regressor":
        est, y = TwoLayerSigmoidRegressor(hidden_size=3, **params), 30 * Y_REG
    else:
        est, y = SoftmaxMLPClassifier(hidden_layer_sizes=3, **params), Y_CLF
    huge = est.fit(X, y, sample_weight=np.full(len(X), 5e306))
    assert np.isfinite(huge.loss_)
    huge_loss = huge.loss_and_gradients(X, y, sample_weight=np.full(len(X), 5e306))
    unit = type(est)(**est.get_params()).fit(X, y)
    np.testing.assert_allclose(huge.loss_curve_, unit.loss_curve_, rtol=1e-10)
    np.testing.assert_allclose(huge_loss[0], unit.loss_and_gradients(X, y)[0])


def test_sample_weights_whose_sum_overflows_float64_name_sample_weight():
    est = TwoLayerSigmoidRegressor()
    with pytest.raises(ValueError, match=r"sum to inf.*float64.*Rescale sample_weight"):
        est.fit(X, Y_REG, sample_weight=np.full(20, 1e307))


# -- early stopping's split -----------------------------------------------------------
@pytest.mark.parametrize(
    "n_samples, y, fraction",
    [
        (4, None, 0.1),  # one held-out sample
        (20, np.r_[np.zeros(19), 1], 0.2),  # one sample of class 1
        (10, np.r_[np.zeros(5), np.ones(5)], 0.1),  # 1 held out for 2 classes
        (10, np.r_[np.zeros(5), np.ones(5)], 0.9),  # 1 left to train, 2 classes
    ],
)
def test_early_stopping_split_that_cannot_be_made_names_validation_fraction(
    n_samples, y, fraction
):
    y = (np.arange(n_samples) % 2) if y is None else y.astype(int)
    rs = np.random.RandomState(0)
    saved = rs.get_state()
    est = SoftmaxMLPClassifier(
        hidden_layer_sizes=3,
        early_stopping=True,
        validation_fraction=fraction,
        random_state=rs,
    )
    with pytest.raises(ValueError, match=f"validation_fraction={fraction} of"):
        est.fit(X[:n_samples], y)
    assert state(est) == pickle.dumps({})
    assert_same_random_state(rs.get_state(), saved)


def test_early_stopping_regressor_left_nothing_to_train_names_validation_fraction():
    est = TwoLayerSigmoidRegressor(early_stopping=True, validation_fraction=0.9)
    with pytest.raises(ValueError, match="validation_fraction=0.9 of 3 samples"):
        est.fit(X[:3], Y_REG[:3])


# -- a RandomState instance is left as it was ------------------------------------------
def assert_same_random_state(actual, expected):
    assert actual[0] == expected[0]
    np.testing.assert_array_equal(actual[1], expected[1])
    assert actual[2:] == expected[2:]


@pytest.mark.parametrize("kind", ["regressor", "classifier"])
def test_failed_split_after_drawing_leaves_random_state_instance_unchanged(kind):
    # Only the split itself shows that one side has no positive weight: the draw
    # must be undone on the user's RandomState instance.
    w = np.zeros(len(X))
    w[0] = 1.0
    for seed in range(2):  # the positive sample lands once on each side
        rs = np.random.RandomState(seed)
        saved = rs.get_state()
        params = {"early_stopping": True, "random_state": rs}
        est = (
            TwoLayerSigmoidRegressor(hidden_size=3, **params)
            if kind == "regressor"
            else SoftmaxMLPClassifier(hidden_layer_sizes=3, **params)
        )
        with pytest.raises(ValueError, match="early_stopping"):
            est.fit(X, target(est), sample_weight=w)
        assert_same_random_state(rs.get_state(), saved)


def test_partial_fit_refusing_early_stopping_leaves_random_state_instance_unchanged():
    rs = np.random.RandomState(0)
    saved = rs.get_state()
    est = SoftmaxMLPClassifier(early_stopping=True, random_state=rs)
    with pytest.raises(ValueError, match="early_stopping=False"):
        est.partial_fit(X, Y_CLF, classes=[0, 1])
    assert_same_random_state(rs.get_state(), saved)


def test_divergence_leaves_random_state_instance_unchanged():
    rs = np.random.RandomState(0)
    saved = rs.get_state()
    est = TwoLayerSigmoidRegressor(
        hidden_size=5,
        solver="sgd",
        learning_rate=1e6,
        batch_size=10,
        max_iter=300,
        n_iter_no_change=300,
        random_state=rs,
    )
    with pytest.raises(ValueError, match="learning_rate"):
        est.fit(X * 1e3, Y_REG * 1e3)
    assert_same_random_state(rs.get_state(), saved)
