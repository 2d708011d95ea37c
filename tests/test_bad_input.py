"""Bad input (SPEC §3): every error has the documented type and a message that says
what to do, and a failed ``fit``/``partial_fit`` leaves nothing half-fitted behind —
a new estimator stays unfitted, a fitted one keeps its model bit for bit.

Covered: invalid data and sample weights, invalid hyper-parameters, classifier
labels, sigmoid-output targets, divergence (a huge learning rate) and any other
error raised in the middle of training.
"""

import copy
import pickle
import re

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.preprocessing import MinMaxScaler
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.validation import check_is_fitted

import skbackprop._optimizers as optimizers
import skbackprop._runner as runner
from skbackprop import (
    BackpropMLPClassifier,
    BackpropMLPRegressor,
    SoftmaxMLPClassifier,
    TwoLayerSigmoidRegressor,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

RNG = np.random.RandomState(0)
X = RNG.randn(30, 3)
Y_REG = X @ np.array([0.5, -1.0, 0.3])
Y_CLF = np.digitize(X[:, 0], [-0.4, 0.4])  # three classes 0, 1, 2
CLASSES = np.array([0, 1, 2])
KINDS = ("regressor", "classifier", "mlp_regressor", "mlp_classifier")
CLASSIFIERS = (SoftmaxMLPClassifier, BackpropMLPClassifier)
SOLVERS = ("gd", "sgd", "adam", "lbfgs")
STEPPING_SOLVERS = ("gd", "sgd", "adam")
STEP_CLASSES = {
    "gd": optimizers.GradientDescent,
    "sgd": optimizers.MomentumSGD,
    "adam": optimizers.Adam,
}


def make(kind, **params):
    """A small, seeded estimator of the given kind."""
    params = {"max_iter": 5, "random_state": 0, "batch_size": 5, **params}
    if kind == "regressor":
        return TwoLayerSigmoidRegressor(**{"hidden_size": 4, **params})
    if kind == "mlp_regressor":
        return BackpropMLPRegressor(**{"hidden_layer_sizes": (4,), **params})
    if kind == "mlp_classifier":
        return BackpropMLPClassifier(**{"hidden_layer_sizes": (4,), **params})
    return SoftmaxMLPClassifier(**{"hidden_layer_sizes": (4,), **params})


def target(kind):
    return Y_CLF if kind.endswith("classifier") else Y_REG


def partial_fit(est, X, y, **kwargs):
    """partial_fit, passing the classes a classifier needs on its first call."""
    if isinstance(est, CLASSIFIERS) and "classes" not in kwargs:
        if not hasattr(est, "classes_"):
            kwargs["classes"] = CLASSES
    return est.partial_fit(X, y, **kwargs)


def fitted(kind, **params):
    est = make(kind, **params)
    return est.fit(X, target(kind))


# -- what "unfitted" and "unchanged" mean ------------------------------------------
def learned_attributes(est):
    """Everything the estimator holds beyond its constructor parameters."""
    params = est.get_params(deep=False)
    return {name: value for name, value in vars(est).items() if name not in params}


def assert_unfitted(est):
    with pytest.raises(NotFittedError):
        check_is_fitted(est)
    assert [name for name in vars(est) if name.endswith("_")] == []
    assert learned_attributes(est) == {}


def predictions(est, X_probe=X):
    if isinstance(est, CLASSIFIERS):
        return [est.predict(X_probe), est.predict_proba(X_probe)]
    return [est.predict(X_probe)]


def snapshot(est):
    """The fitted model: parameters, training record, predictions, and the pickled
    learned state (random stream and optimizer state included)."""
    return {
        "coefs_": [c.copy() for c in est.coefs_],
        "intercepts_": [b.copy() for b in est.intercepts_],
        "loss_curve_": list(est.loss_curve_),
        "n_iter_": est.n_iter_,
        "t_": est.t_,
        "predictions": predictions(est),
        "learned": pickle.dumps(learned_attributes(est)),
    }


def assert_bitwise_equal(expected, actual):
    assert_array_equal(actual, expected)
    assert actual.dtype == expected.dtype
    assert actual.tobytes() == expected.tobytes()


def assert_unchanged(est, before):
    after = snapshot(est)
    for key in ("coefs_", "intercepts_", "predictions"):
        assert len(after[key]) == len(before[key])
        for expected, actual in zip(before[key], after[key], strict=True):
            assert_bitwise_equal(expected, actual)
    assert after["loss_curve_"] == before["loss_curve_"]
    assert after["n_iter_"] == before["n_iter_"]
    assert after["t_"] == before["t_"]
    assert after["learned"] == before["learned"]


# -- invalid data ------------------------------------------------------------------
def _with(array, value):
    out = np.array(array, dtype=float)
    out[1] = value
    return out


# name: (X, y, sample_weight) from the good (X, y), and the message it must give
BAD_DATA = {
    "nan in X": (
        lambda X, y: (_with(X, np.nan), y, None),
        "(?s)Input X contains NaN.*imputer",
    ),
    "inf in X": (
        lambda X, y: (_with(X, np.inf), y, None),
        "Input X contains infinity",
    ),
    "-inf in X": (
        lambda X, y: (_with(X, -np.inf), y, None),
        "Input X contains infinity",
    ),
    "nan in y": (lambda X, y: (X, _with(y, np.nan), None), "Input y contains NaN"),
    "inf in y": (
        lambda X, y: (X, _with(y, np.inf), None),
        "Input y contains infinity",
    ),
    "1-D X": (
        lambda X, y: (X[:, 0], y, None),
        "(?s)Expected 2D array, got 1D array instead.*Reshape your data",
    ),
    "3-D X": (
        lambda X, y: (X[:, :, np.newaxis], y, None),
        "Found array with dim 3",
    ),
    "y of wrong length": (
        lambda X, y: (X, y[:-1], None),
        r"inconsistent numbers of samples: \[30, 29\]",
    ),
    "empty X and y": (
        lambda X, y: (X[:0], y[:0], None),
        r"Found array with 0 sample\(s\).*a minimum of 1 is required",
    ),
    "X without features": (
        lambda X, y: (X[:, :0], y, None),
        r"Found array with 0 feature\(s\).*a minimum of 1 is required",
    ),
    "complex X": (lambda X, y: (X + 1j, y, None), "Complex data not supported"),
    "complex y": (lambda X, y: (X, y + 1j, None), "Complex data not supported"),
    "negative sample_weight": (
        lambda X, y: (X, y, _with(np.ones(len(y)), -1.0)),
        "Negative values in data passed to `sample_weight`",
    ),
    "all-zero sample_weight": (
        lambda X, y: (X, y, np.zeros(len(y))),
        "at least one non-zero",
    ),
    "nan in sample_weight": (
        lambda X, y: (X, y, _with(np.ones(len(y)), np.nan)),
        "Input sample_weight contains NaN",
    ),
    "sample_weight of wrong length": (
        lambda X, y: (X, y, np.ones(5)),
        r"sample_weight.shape == \(5,\), expected \(30,\)",
    ),
}


@pytest.mark.parametrize("case", BAD_DATA)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_bad_data_raises_standard_error_and_leaves_new_estimator_unfitted(
    method, kind, case
):
    make_data, message = BAD_DATA[case]
    X_bad, y_bad, w_bad = make_data(X, target(kind))
    est = make(kind)
    call = est.fit if method == "fit" else lambda *a, **k: partial_fit(est, *a, **k)
    with pytest.raises(ValueError, match=message):
        call(X_bad, y_bad, sample_weight=w_bad)
    assert_unfitted(est)


@pytest.mark.parametrize("case", BAD_DATA)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("method", ["fit", "warm_start fit", "partial_fit"])
def test_bad_data_raises_standard_error_and_keeps_fitted_model(method, kind, case):
    make_data, message = BAD_DATA[case]
    X_bad, y_bad, w_bad = make_data(X, target(kind))
    est = fitted(kind)
    before = snapshot(est)
    if method == "warm_start fit":
        est.set_params(warm_start=True)
    call = est.partial_fit if method == "partial_fit" else est.fit
    with pytest.raises(ValueError, match=message):
        call(X_bad, y_bad, sample_weight=w_bad)
    assert_unchanged(est, before)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("method", ["warm_start fit", "partial_fit"])
def test_wrong_number_of_features_when_continuing_keeps_fitted_model(kind, method):
    est = fitted(kind, warm_start=method == "warm_start fit")
    before = snapshot(est)
    call = est.partial_fit if method == "partial_fit" else est.fit
    with pytest.raises(ValueError, match="X has 2 features, but .* is expecting 3"):
        call(X[:, :2], target(kind))
    assert_unchanged(est, before)


PREDICT_METHODS = {
    "regressor": ["predict", "score"],
    "mlp_regressor": ["predict", "score"],
    "classifier": [
        "predict",
        "predict_proba",
        "predict_log_proba",
        "decision_function",
        "score",
    ],
}
PREDICT_METHODS["mlp_classifier"] = PREDICT_METHODS["classifier"]

BAD_PREDICT_X = {
    "nan in X": (_with(X, np.nan), "Input X contains NaN"),
    "inf in X": (_with(X, np.inf), "Input X contains infinity"),
    "1-D X": (X[0], "(?s)Expected 2D array, got 1D array instead.*Reshape your data"),
    "3-D X": (X[:, :, np.newaxis], "Found array with dim 3"),
    "wrong number of features": (
        X[:, :2],
        "X has 2 features, but .* is expecting 3 features as input",
    ),
    "empty X": (X[:0], r"Found array with 0 sample\(s\)"),
    "complex X": (X + 1j, "Complex data not supported"),
}


@pytest.mark.parametrize("case", BAD_PREDICT_X)
@pytest.mark.parametrize(
    "kind, method",
    [(kind, method) for kind in KINDS for method in PREDICT_METHODS[kind]],
)
def test_prediction_methods_reject_bad_X_with_standard_error(kind, method, case):
    X_bad, message = BAD_PREDICT_X[case]
    est = fitted(kind)
    before = snapshot(est)
    args = (X_bad, target(kind)[: len(X_bad)]) if method == "score" else (X_bad,)
    with pytest.raises(ValueError, match=message):
        getattr(est, method)(*args)
    assert_unchanged(est, before)


@pytest.mark.parametrize("kind", KINDS)
def test_methods_of_unfitted_estimator_raise_not_fitted_error(kind):
    est = make(kind)
    for method in PREDICT_METHODS[kind]:
        args = (X, target(kind)) if method == "score" else (X,)
        with pytest.raises(NotFittedError, match="not fitted yet.*Call 'fit'"):
            getattr(est, method)(*args)
    with pytest.raises(NotFittedError, match="not fitted yet"):
        est.loss_and_gradients(X, target(kind))
    with pytest.raises(AttributeError, match="not fitted yet.*fit or partial_fit"):
        est.coefs_  # noqa: B018
    assert_unfitted(est)


# -- invalid hyper-parameters -------------------------------------------------------
SHARED_INVALID = {
    "solver": ["newton", "SGD", 1, None],
    "learning_rate": [0.0, -1e-3, np.nan, np.inf, "fast", None],
    "batch_size": [0, -1, 2.5, "all"],
    "max_iter": [0, -5, 2.5, "many"],
    "max_fun": [0, -5, 2.5, np.inf, "many"],
    "tol": [-1e-4, np.nan, "small"],
    "n_iter_no_change": [0, 2.5, "never", -np.inf, np.nan, 1e9],
    "alpha": [-1.0, np.nan, np.inf, "strong"],
    "momentum": [-0.1, 1.5, "heavy"],
    "beta_1": [1.0, -0.1, "high"],
    "beta_2": [1.0, -0.1, "high"],
    "epsilon": [0.0, -1e-8, "tiny"],
    "early_stopping": ["yes", 1],
    "validation_fraction": [0.0, 1.0, -0.1, "tenth"],
    "scoring": ["no_such_scorer", "Loss", 1],
    "learning_rate_schedule": ["optimal", "Constant", 1, None],
    "power_t": [-0.5, np.nan, "half"],
    "nesterovs_momentum": ["yes", 1],
    "shuffle": ["yes", 1],
    "random_state": [-1, 2**32, 2.5, "seed"],
    "warm_start": ["yes", 0],
    "verbose": [-1, 2.5, "loud"],
}
KIND_INVALID = {
    "regressor": {
        "hidden_size": [0, -3, 2.5, "wide"],
        "output_activation": ["relu", "softmax", "Sigmoid", 1],
        "fit_intercept": ["yes", 1],
    },
    "classifier": {
        "hidden_layer_sizes": [
            0,
            -3,
            2.5,
            "wide",
            None,
            (10, 0),
            (10, -1),
            (2.5,),
            ("a",),
            np.array([4, 0]),
        ],
        "activation": ["softmax", "Relu", "swish", 1],
        "class_weight": ["auto", 1.0, [1.0, 2.0]],
    },
    "mlp_regressor": {
        "hidden_layer_sizes": [0, -3, 2.5, "wide", None, (10, 0), ("a",)],
        "activation": ["softmax", "Relu", "swish", 1, None],
        "loss": ["absolute_error", "Poisson", "exp", 1],
    },
}
KIND_INVALID["mlp_classifier"] = KIND_INVALID["classifier"]
INVALID_PARAMS = [
    pytest.param(kind, name, value, id=f"{kind}-{name}={value!r}")
    for kind in KINDS
    for name, values in {**SHARED_INVALID, **KIND_INVALID[kind]}.items()
    for value in values
]
# One invalid value per parameter for the slower paths.
ONE_INVALID_PER_PARAM = [
    pytest.param(kind, name, values[0], id=f"{kind}-{name}={values[0]!r}")
    for kind in KINDS
    for name, values in {**SHARED_INVALID, **KIND_INVALID[kind]}.items()
]


def test_every_constructor_parameter_has_invalid_values_under_test():
    for kind in KINDS:
        covered = set(SHARED_INVALID) | set(KIND_INVALID[kind])
        assert covered == set(make(kind).get_params())


@pytest.mark.parametrize("kind, name, value", INVALID_PARAMS)
def test_invalid_hyper_parameter_raises_invalid_parameter_error_in_fit(
    kind, name, value
):
    est = make(kind, **{name: value})
    with pytest.raises(
        InvalidParameterError,
        match=f"The '{name}' parameter of {type(est).__name__} must be",
    ):
        est.fit(X, target(kind))
    assert_unfitted(est)


@pytest.mark.parametrize("kind, name, value", ONE_INVALID_PER_PARAM)
def test_invalid_hyper_parameter_raises_invalid_parameter_error_in_partial_fit(
    kind, name, value
):
    est = make(kind, **{name: value})
    with pytest.raises(InvalidParameterError, match=f"The '{name}' parameter"):
        partial_fit(est, X, target(kind))
    assert_unfitted(est)


@pytest.mark.parametrize(
    "value", KIND_INVALID["classifier"]["hidden_layer_sizes"][5:], ids=repr
)
def test_hidden_layer_sizes_with_a_non_positive_or_non_integer_width_is_invalid(
    value,
):
    est = make("classifier", hidden_layer_sizes=value)
    with pytest.raises(
        InvalidParameterError,
        match="The 'hidden_layer_sizes' parameter of SoftmaxMLPClassifier must be",
    ):
        partial_fit(est, X, Y_CLF)
    assert_unfitted(est)


@pytest.mark.parametrize("kind, name, value", ONE_INVALID_PER_PARAM)
def test_invalid_hyper_parameter_on_refit_keeps_fitted_model(kind, name, value):
    est = fitted(kind)
    before = snapshot(est)
    est.set_params(**{name: value})
    with pytest.raises(InvalidParameterError, match=f"The '{name}' parameter"):
        est.fit(X, target(kind))
    assert_unchanged(est, before)


@pytest.mark.parametrize("kind", KINDS)
def test_partial_fit_is_not_offered_with_lbfgs(kind):
    est = make(kind, solver="lbfgs")
    with pytest.raises(AttributeError, match="partial_fit"):
        partial_fit(est, X, target(kind))
    assert not hasattr(est, "partial_fit")
    assert_unfitted(est)


# -- classifier labels --------------------------------------------------------------
def test_classifier_with_continuous_y_raises_unknown_label_type():
    est = make("classifier")
    with pytest.raises(ValueError, match="Unknown label type: continuous"):
        est.fit(X, Y_REG)
    assert_unfitted(est)


def test_classifier_partial_fit_with_continuous_y_raises_unknown_label_type():
    est = make("classifier")
    with pytest.raises(ValueError, match="Unknown label type: continuous"):
        est.partial_fit(X, Y_REG, classes=np.unique(Y_REG))
    assert_unfitted(est)


def test_classifier_refit_with_continuous_y_keeps_fitted_model():
    est = fitted("classifier")
    before = snapshot(est)
    with pytest.raises(ValueError, match="Unknown label type: continuous"):
        est.fit(X, Y_REG)
    assert_unchanged(est, before)


def test_classifier_with_2d_multiclass_y_names_multioutput_classifier():
    est = make("classifier")
    with pytest.raises(
        ValueError, match="2-D array of multiclass-multioutput.*MultiOutputClassifier"
    ):
        est.fit(X, np.c_[Y_CLF, Y_CLF])
    assert_unfitted(est)


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_softmax_classifier_on_multilabel_y_names_the_drop_in(method):
    est = make("classifier")
    indicator = np.c_[Y_CLF == 0, Y_CLF == 1].astype(int)
    extra = {"classes": [0, 1]} if method == "partial_fit" else {}
    with pytest.raises(
        ValueError, match="seed-003 softmax network.*BackpropMLPClassifier"
    ):
        getattr(est, method)(X, indicator, **extra)
    assert_unfitted(est)


def test_seed_classifier_fits_a_single_class_with_one_softmax_unit():
    # as scikit-learn's MLPClassifier fits one class; softmax of one unit is 1
    est = make("classifier").fit(X, np.full(len(X), 7))
    assert_array_equal(est.classes_, [7])
    assert_array_equal(est.predict(X), np.full(len(X), 7))
    assert_array_equal(est.predict_proba(X), np.ones((len(X), 1)))
    assert est.score(X, np.full(len(X), 7)) == 1.0


@pytest.mark.parametrize(
    "other_y",
    [np.minimum(Y_CLF, 1), np.where(Y_CLF == 2, 3, Y_CLF), np.r_[Y_CLF[:-1], 3]],
    ids=["fewer", "another", "more"],
)
@pytest.mark.parametrize("kind", ["classifier", "mlp_classifier"])
def test_warm_start_fit_on_other_classes_raises_scikit_learns_error(kind, other_y):
    est = fitted(kind, warm_start=True)
    before = snapshot(est)
    message = (
        "warm_start can only be used where `y` has the same classes as in the "
        f"previous call to fit. Previously got [0 1 2], `y` has {np.unique(other_y)}"
    )
    with pytest.raises(ValueError, match=re.escape(message) + ".*warm_start=False"):
        est.fit(X, other_y)
    assert_unchanged(est, before)


@pytest.mark.parametrize("kind", ["classifier", "mlp_classifier"])
def test_warm_start_fit_on_the_same_classes_and_partial_fit_on_some_go_on(kind):
    est = fitted(kind, warm_start=True)
    est.fit(X[::-1], Y_CLF[::-1])  # same classes, another order
    est.partial_fit(X[Y_CLF < 2], Y_CLF[Y_CLF < 2])  # a subset is fine here
    assert est.t_ == 2 * 5 * len(X) + np.sum(Y_CLF < 2)


def test_first_partial_fit_without_classes_asks_for_them():
    est = make("classifier")
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        est.partial_fit(X, Y_CLF)
    assert_unfitted(est)


def test_first_partial_fit_with_label_outside_classes_names_it():
    est = make("classifier")
    with pytest.raises(
        ValueError, match=r"labels .*2.* not in classes.*pass every class"
    ):
        est.partial_fit(X, Y_CLF, classes=[0, 1])
    assert_unfitted(est)


def test_later_partial_fit_with_label_outside_classes_keeps_model():
    est = make("classifier")
    est.partial_fit(X, Y_CLF, classes=CLASSES)
    before = snapshot(est)
    with pytest.raises(ValueError, match=r"labels .*3.* not in classes"):
        est.partial_fit(X, Y_CLF + 1)
    assert_unchanged(est, before)


def test_later_partial_fit_with_different_classes_keeps_model():
    est = make("classifier")
    est.partial_fit(X, Y_CLF, classes=CLASSES)
    before = snapshot(est)
    with pytest.raises(ValueError, match="differs from the classes of the first"):
        est.partial_fit(X, Y_CLF, classes=[0, 1, 2, 3])
    assert_unchanged(est, before)


def test_partial_fit_with_balanced_class_weight_suggests_a_dict():
    est = make("classifier", class_weight="balanced")
    with pytest.raises(ValueError, match="pass a dict.*compute_class_weight"):
        est.partial_fit(X, Y_CLF, classes=CLASSES)
    assert_unfitted(est)


def test_class_weight_for_unknown_class_is_rejected():
    est = make("classifier", class_weight={5: 1.0})
    with pytest.raises(ValueError, match="not in class_weight"):
        est.fit(X, Y_CLF)
    assert_unfitted(est)


def test_all_zero_class_weight_is_rejected():
    est = make("classifier", class_weight={0: 0.0, 1: 0.0, 2: 0.0})
    with pytest.raises(ValueError, match="at least one sample needs a positive"):
        est.fit(X, Y_CLF)
    assert_unfitted(est)


def test_negative_class_weight_is_rejected():
    # A negative class weight makes that class's sample weights negative, which
    # SPEC §3 rejects for sample_weight itself.
    est = make("classifier", class_weight={0: -1.0, 1: 1.0, 2: 1.0})
    with pytest.raises(ValueError, match="(?i)negative"):
        est.fit(X, Y_CLF)
    assert_unfitted(est)


@pytest.mark.parametrize("kind", KINDS)
def test_early_stopping_split_without_positive_weight_raises_clear_error(kind):
    # One positive weight: either the training part or the validation part of the
    # split has none, and cannot be trained or scored on.
    for seed in range(2):  # the positive sample lands once on each side
        est = make(kind, early_stopping=True, random_state=seed)
        w = np.zeros(len(X))
        w[0] = 1.0
        with pytest.raises(ValueError, match="early_stopping"):
            est.fit(X, target(kind), sample_weight=w)
        assert_unfitted(est)


# -- sigmoid-output regressor --------------------------------------------------------
@pytest.mark.parametrize("low, high", [(-0.1, 0.5), (0.5, 1.1), (-2.0, 3.0)])
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_sigmoid_output_with_target_outside_unit_interval_suggests_minmax(
    method, low, high
):
    y = np.linspace(low, high, len(X))
    est = make("regressor", output_activation="sigmoid")
    with pytest.raises(
        ValueError,
        match=r"\[0, 1\].*TransformedTargetRegressor.*MinMaxScaler",
    ):
        getattr(est, method)(X, y)
    assert_unfitted(est)


def test_sigmoid_output_accepts_targets_on_the_unit_interval_bounds():
    y = np.linspace(0.0, 1.0, len(X))
    est = make("regressor", output_activation="sigmoid").fit(X, y)
    assert np.all((est.predict(X) >= 0) & (est.predict(X) <= 1))


def test_sigmoid_output_accepts_targets_scaled_by_the_suggested_min_max_scaler():
    # The remedy the error message suggests must work, though MinMaxScaler's
    # rounding can put the largest target an ulp above 1.
    rng = np.random.RandomState(0)
    X_wide = rng.uniform(-3, 3, size=(120, 1))
    y = 50 * np.sin(X_wide.ravel()) + 100
    assert MinMaxScaler().fit_transform(y.reshape(-1, 1)).max() > 1.0
    model = TransformedTargetRegressor(
        regressor=make("regressor", output_activation="sigmoid"),
        transformer=MinMaxScaler(),
    ).fit(X_wide, y)
    assert np.isfinite(model.predict(X_wide)).all()


def test_sigmoid_output_partial_fit_with_target_outside_keeps_model():
    est = make("regressor", output_activation="sigmoid")
    est.partial_fit(X, np.linspace(0, 1, len(X)))
    before = snapshot(est)
    with pytest.raises(ValueError, match="TransformedTargetRegressor"):
        est.partial_fit(X, np.linspace(0, 2, len(X)))
    assert_unchanged(est, before)


def test_multi_output_sigmoid_target_outside_unit_interval_is_rejected():
    y = np.c_[np.linspace(0, 1, len(X)), np.linspace(0, 1.5, len(X))]
    est = make("regressor", output_activation="sigmoid")
    with pytest.raises(ValueError, match="MinMaxScaler"):
        est.fit(X, y)
    assert_unfitted(est)


def test_regressor_partial_fit_with_other_number_of_outputs_keeps_model():
    est = make("regressor")
    est.partial_fit(X, Y_REG)
    before = snapshot(est)
    with pytest.raises(ValueError, match=r"2 output\(s\).*fitted with 1.*refit"):
        est.partial_fit(X, np.c_[Y_REG, Y_REG])
    assert_unchanged(est, before)


# -- divergence ---------------------------------------------------------------------
# Unscaled inputs (|x| ~ 1e3) and a learning rate of 1e6 drive gd and sgd to NaN/inf
# within a few dozen steps for the identity-output regressor and the relu
# classifier. Adam's step is bounded by about learning_rate per parameter, so it
# overflows only through depth (a 50-layer relu network: ~1e6 per weight, one
# power per layer) or, for the two-layer regressor, whose sigmoid hidden layer
# bounds |ŷ| by Σ|W2|, through a learning rate near the float range (1e300).
X_LARGE = RNG.randn(40, 3) * 1e3
Y_LARGE = {"regressor": X_LARGE @ np.array([1.0, 2.0, 3.0])}
Y_LARGE["classifier"] = (X_LARGE[:, 0] > 0).astype(int)
Y_LARGE["mlp_regressor"] = Y_LARGE["regressor"]
Y_LARGE["mlp_classifier"] = Y_LARGE["classifier"]  # binary: one logistic unit
HUGE_LEARNING_RATE = {("regressor", "adam"): 1e300, ("mlp_regressor", "sgd"): 1e-5}
# momentum on an unbounded relu regression of targets ~1e3 needs a tinier step
FINE_LEARNING_RATE = {("mlp_regressor", "sgd"): 1e-9}


def diverging(kind, solver, **params):
    """An estimator that diverges to non-finite values on (X_LARGE, Y_LARGE)."""
    params = {
        "solver": solver,
        "learning_rate": HUGE_LEARNING_RATE.get((kind, solver), 1e6),
        "batch_size": 10,
        "max_iter": 300,
        "n_iter_no_change": 300,  # a growing loss must not stop training first
        "random_state": 0,
        **params,
    }
    if kind == "regressor":
        return TwoLayerSigmoidRegressor(hidden_size=5, **params)
    depth = 50 if solver == "adam" else 1
    if kind == "mlp_regressor":
        return BackpropMLPRegressor(hidden_layer_sizes=(8,) * depth, **params)
    if kind == "mlp_classifier":
        return BackpropMLPClassifier(hidden_layer_sizes=(8,) * depth, **params)
    return SoftmaxMLPClassifier(hidden_layer_sizes=(8,) * depth, **params)


def well_behaved(kind, solver):
    """The same network trained a few epochs at a learning rate that is fine."""
    fine = FINE_LEARNING_RATE.get((kind, solver), 1e-5)
    est = diverging(kind, solver, learning_rate=fine, max_iter=3)
    return est.fit(X_LARGE, Y_LARGE[kind])


def huge_learning_rate(kind, solver):
    """The parameters that make a well-behaved model diverge on refit."""
    return {"learning_rate": diverging(kind, solver).learning_rate, "max_iter": 300}


DIVERGENCE_CASES = [(kind, solver) for kind in KINDS for solver in STEPPING_SOLVERS]
DIVERGENCE_MESSAGE = (
    "(?s)diverged.*non-finite.*"
    # scikit-learn's sentence, beside ours
    + re.escape(
        "Solver produced non-finite parameter weights. The input data may "
        "contain large values and need to be preprocessed."
    )
    + ".*learning_rate=.*lower it"
)


@pytest.mark.parametrize("kind, solver", DIVERGENCE_CASES)
def test_divergence_raises_naming_learning_rate_and_leaves_new_estimator_unfitted(
    kind, solver
):
    est = diverging(kind, solver)
    with pytest.raises(ValueError, match=DIVERGENCE_MESSAGE):
        est.fit(X_LARGE, Y_LARGE[kind])
    assert_unfitted(est)


@pytest.mark.parametrize("kind, solver", DIVERGENCE_CASES)
def test_divergence_stops_at_the_first_non_finite_loss_or_weight(
    kind, solver, monkeypatch
):
    events = []  # ("loss", finite?) and ("step", weights finite after it?)
    loss_and_gradients = runner.loss_and_gradients

    def recording_loss(params, *args, **kwargs):
        loss = loss_and_gradients(params, *args, **kwargs)
        events.append(("loss", bool(np.isfinite(loss))))
        return loss

    step = STEP_CLASSES[solver].step

    def recording_step(self, theta, grad):
        step(self, theta, grad)
        events.append(("step", bool(np.isfinite(theta).all())))

    monkeypatch.setattr(runner, "loss_and_gradients", recording_loss)
    monkeypatch.setattr(STEP_CLASSES[solver], "step", recording_step)
    with pytest.raises(ValueError, match=DIVERGENCE_MESSAGE):
        diverging(kind, solver).fit(X_LARGE, Y_LARGE[kind])
    first_bad = next(i for i, (_, finite) in enumerate(events) if not finite)
    assert all(event != "step" for event, _ in events[first_bad + 1 :])
    assert len(events) - first_bad <= 2  # at most the loss that revealed it


@pytest.mark.parametrize("kind", KINDS)
def test_lbfgs_ignores_learning_rate_and_does_not_diverge(kind):
    est = diverging(kind, "lbfgs", max_iter=5)
    est.fit(X_LARGE, Y_LARGE[kind])
    reference = diverging(kind, "lbfgs", max_iter=5, learning_rate=1e-3)
    reference.fit(X_LARGE, Y_LARGE[kind])
    for W, W_ref in zip(est.coefs_, reference.coefs_, strict=True):
        assert np.isfinite(W).all()
        assert_bitwise_equal(W_ref, W)


@pytest.mark.parametrize("kind, solver", DIVERGENCE_CASES)
def test_divergence_in_refit_keeps_fitted_model(kind, solver):
    est = well_behaved(kind, solver)
    before = snapshot(est)
    est.set_params(**huge_learning_rate(kind, solver))
    with pytest.raises(ValueError, match=DIVERGENCE_MESSAGE):
        est.fit(X_LARGE, Y_LARGE[kind])
    assert_unchanged(est, before)


@pytest.mark.parametrize("kind, solver", DIVERGENCE_CASES)
def test_divergence_in_warm_start_fit_keeps_fitted_model(kind, solver):
    est = well_behaved(kind, solver)
    before = snapshot(est)
    est.set_params(**huge_learning_rate(kind, solver), warm_start=True)
    with pytest.raises(ValueError, match=DIVERGENCE_MESSAGE):
        est.fit(X_LARGE, Y_LARGE[kind])
    assert_unchanged(est, before)


SKLEARN_DIVERGENCE = re.escape(
    "Solver produced non-finite parameter weights. The input data may contain "
    "large values and need to be preprocessed."
)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("kind, solver", DIVERGENCE_CASES)
def test_divergence_under_early_stopping_keeps_the_best_weights_or_raises(kind, solver):
    # scikit-learn's MLP: a diverging run under early stopping records NaN
    # scores and ends at the weights of its best score. Without a finite best
    # score (adam here diverges in its first epoch) it is our error, model kept.
    est = diverging(kind, solver, early_stopping=True)
    if solver == "adam":
        with pytest.raises(ValueError, match=DIVERGENCE_MESSAGE):
            est.fit(X_LARGE, Y_LARGE[kind])
        assert_unfitted(est)
        return
    with pytest.warns(
        ConvergenceWarning,
        match=f"(?s)diverged.*{SKLEARN_DIVERGENCE}.*Early stopping ended training "
        "there and kept the weights of the best validation score",
    ):
        est.fit(X_LARGE, Y_LARGE[kind])
    scores = est.validation_scores_
    # the last epoch is recorded: its training loss or its score is NaN
    assert np.isnan(est.loss_curve_[-1]) or np.isnan(scores[-1])
    assert len(scores) == len(est.validation_loss_curve_) == est.n_iter_
    assert len(est.loss_curve_) == est.n_iter_
    best_epoch = int(np.nanargmax(scores)) + 1
    assert est.best_validation_score_ == scores[best_epoch - 1]
    # the weights are those of the best epoch: a fit that stops there has them
    reference = diverging(kind, solver, early_stopping=True, max_iter=best_epoch)
    reference.fit(X_LARGE, Y_LARGE[kind])
    for W, W_ref in zip(est.coefs_, reference.coefs_, strict=True):
        assert np.isfinite(W).all()
        assert_bitwise_equal(W_ref, W)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_validation_outputs_that_overflow_score_nan_never_an_inner_error():
    # The weights stay finite for some epochs while the identity network's
    # validation outputs overflow: the score is NaN (scikit-learn's), never
    # "Input contains NaN" from inside r2_score.
    X_iris, y_iris = load_iris(return_X_y=True)
    est = BackpropMLPRegressor(
        hidden_layer_sizes=100,
        activation="identity",
        solver="sgd",
        learning_rate=1.0,
        max_iter=20,
        early_stopping=True,
        random_state=0,
    )
    with pytest.warns(ConvergenceWarning, match=SKLEARN_DIVERGENCE):
        est.fit(X_iris, y_iris)
    assert np.isnan(est.validation_scores_[-2:]).all()
    assert isinstance(est.validation_scores_[-1], float)
    assert np.isfinite(est.predict(X_iris)).all()


@pytest.mark.parametrize("kind", KINDS)
def test_divergence_with_validation_data_but_no_early_stopping_raises(kind):
    est = diverging(kind, "sgd")
    with pytest.raises(ValueError, match=DIVERGENCE_MESSAGE):
        est.fit(X_LARGE, Y_LARGE[kind], X_val=X_LARGE, y_val=Y_LARGE[kind])
    assert_unfitted(est)


def partial_fit_until_it_raises(est, kind, batches, check=None):
    """partial_fit on each (X, y) in turn until a call raises; return the snapshot
    taken before that call (None if it was the first) and the error."""
    before = None
    for i, (X_batch, y_batch) in enumerate(batches):
        if check is not None and i > 0:
            check(est)
        if i > 0:
            before = snapshot(est)
        first_classes = (
            {"classes": [0, 1]} if i == 0 and kind.endswith("classifier") else {}
        )
        try:
            est.partial_fit(X_batch, y_batch, **first_classes)
        except ValueError as error:
            return before, error
    pytest.fail("partial_fit never diverged")


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # see the lag test below
@pytest.mark.parametrize("kind, solver", [(k, s) for k in KINDS for s in ("gd", "sgd")])
def test_divergence_in_partial_fit_keeps_model_of_previous_call(kind, solver):
    # gd and sgd at learning_rate=1e6 need several epochs to overflow: the first
    # calls succeed, a later one diverges.
    est = diverging(kind, solver)
    batches = [(X_LARGE, Y_LARGE[kind])] * 100
    before, error = partial_fit_until_it_raises(est, kind, batches)
    assert before is not None
    assert "learning_rate" in str(error)
    assert_unchanged(est, before)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # see the lag test below
@pytest.mark.parametrize("kind, solver", DIVERGENCE_CASES)
def test_divergence_in_partial_fit_after_raising_learning_rate_keeps_model(
    kind, solver
):
    est = well_behaved(kind, solver)
    before = snapshot(est)
    est.set_params(learning_rate=diverging(kind, solver).learning_rate)
    with pytest.raises(ValueError, match=DIVERGENCE_MESSAGE):
        for _ in range(100):  # adam diverges at once, gd and sgd within ~25 calls
            est.partial_fit(X_LARGE, Y_LARGE[kind])
            before = snapshot(est)
    assert_unchanged(est, before)


def _assert_predicts_finite_values(est):
    for output in predictions(est, X_LARGE):
        assert np.isfinite(output.astype(float)).all()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the failure shows them
@pytest.mark.parametrize("kind, solver", DIVERGENCE_CASES)
def test_partial_fit_never_leaves_a_model_that_predicts_non_finite_values(kind, solver):
    # The divergence check must not lag one step behind: the loss of an epoch is
    # measured before its last step, so a first call of a single minibatch (one
    # step) must still check the weights that step leaves behind.
    est = diverging(kind, solver)
    batches = [(X_LARGE[:10], Y_LARGE[kind][:10])] + [(X_LARGE, Y_LARGE[kind])] * 100
    before, _ = partial_fit_until_it_raises(
        est, kind, batches, check=_assert_predicts_finite_values
    )
    if before is None:
        assert_unfitted(est)
    else:
        assert_unchanged(est, before)


def test_partial_fit_follows_learning_rate_lowered_with_set_params():
    # The divergence message says "lower it": a lowered learning rate must then
    # apply to the next partial_fit, whose gd step is w ← w − learning_rate·∂L/∂w.
    est = make("regressor", solver="gd", learning_rate=1e-1, alpha=1e-3).fit(X, Y_REG)
    est.set_params(learning_rate=1e-3)
    _, coef_grads, intercept_grads = est.loss_and_gradients(X, Y_REG)
    expected = [W - 1e-3 * g for W, g in zip(est.coefs_, coef_grads, strict=True)]
    expected += [
        b - 1e-3 * g for b, g in zip(est.intercepts_, intercept_grads, strict=True)
    ]
    est.partial_fit(X, Y_REG)
    for want, got in zip(expected, est.coefs_ + est.intercepts_, strict=True):
        assert_allclose(got, want, rtol=1e-12, atol=1e-15)


def test_partial_fit_follows_solver_changed_with_set_params():
    est = make("regressor", solver="adam", learning_rate=1e-2).fit(X, Y_REG)
    est.set_params(solver="gd", learning_rate=1e-3)
    _, coef_grads, _ = est.loss_and_gradients(X, Y_REG)
    expected = [W - 1e-3 * g for W, g in zip(est.coefs_, coef_grads, strict=True)]
    est.partial_fit(X, Y_REG)
    for want, got in zip(expected, est.coefs_, strict=True):
        assert_allclose(got, want, rtol=1e-12, atol=1e-15)


# -- any other error in the middle of training --------------------------------------
class Boom(RuntimeError):
    pass


def fail_after(monkeypatch, solver, n_ok, exception):
    """Make training raise ``exception`` after ``n_ok`` successful steps
    (lbfgs: objective evaluations), once the weights have already moved."""
    calls = {"n": 0}
    if solver == "lbfgs":
        owner, name = runner, "loss_and_gradients"
    else:
        owner, name = STEP_CLASSES[solver], "step"
    original = getattr(owner, name)

    def failing(*args, **kwargs):
        if calls["n"] == n_ok:
            raise exception
        calls["n"] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, failing)
    return calls


EXCEPTIONS = [Boom("failure in the middle of training"), KeyboardInterrupt()]


@pytest.mark.parametrize("exception", EXCEPTIONS, ids=["RuntimeError", "Ctrl-C"])
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("kind", KINDS)
def test_error_mid_fit_leaves_new_estimator_unfitted(
    kind, solver, exception, monkeypatch
):
    est = make(kind, solver=solver)
    calls = fail_after(monkeypatch, solver, 3, exception)
    with pytest.raises(type(exception)):
        est.fit(X, target(kind))
    assert calls["n"] == 3
    assert_unfitted(est)


MID_FIT_CASES = [
    (kind, solver, method)
    for kind in KINDS
    for solver in SOLVERS
    for method in ("fit", "warm_start fit", "partial_fit")
    if not (solver == "lbfgs" and method == "partial_fit")  # lbfgs has none
]


@pytest.mark.parametrize("exception", EXCEPTIONS, ids=["RuntimeError", "Ctrl-C"])
@pytest.mark.parametrize("kind, solver, method", MID_FIT_CASES)
def test_error_mid_fit_keeps_fitted_model(kind, solver, method, exception, monkeypatch):
    est = fitted(kind, solver=solver, warm_start=method == "warm_start fit")
    before = snapshot(est)
    n_ok = 0 if (method == "partial_fit" and solver == "gd") else 3
    calls = fail_after(monkeypatch, solver, n_ok, exception)
    call = est.partial_fit if method == "partial_fit" else est.fit
    with pytest.raises(type(exception)):
        call(X, target(kind))
    assert calls["n"] == n_ok
    assert_unchanged(est, before)


def test_error_mid_fit_keeps_random_stream_of_random_state_instance(monkeypatch):
    # With a RandomState instance, a refit draws from the model's own stream: a
    # failed refit must not leave that stream advanced, or the next partial_fit
    # shuffles differently than it would have.
    est = make("classifier", solver="sgd", random_state=np.random.RandomState(0))
    est.fit(X, Y_CLF)
    twin = copy.deepcopy(est)
    with monkeypatch.context() as patch:
        fail_after(patch, "sgd", 3, Boom("failure in the middle of training"))
        with pytest.raises(Boom):
            est.fit(X, Y_CLF)
    est.partial_fit(X, Y_CLF)
    twin.partial_fit(X, Y_CLF)
    for W, W_twin in zip(est.coefs_, twin.coefs_, strict=True):
        assert_bitwise_equal(W_twin, W)
