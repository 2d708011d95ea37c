"""Validation data given to fit/partial_fit, its curves and scoring (§6.3)."""

import pickle
import warnings

import numpy as np
import pytest
import sklearn
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import get_scorer, log_loss, mean_squared_error, r2_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import skbackprop._validation as validation
from skbackprop import (
    BackpropMLPClassifier,
    BackpropMLPRegressor,
    SoftmaxMLPClassifier,
    TwoLayerSigmoidRegressor,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
KINDS = ["regressor", "mlp_regressor", "classifier", "mlp_classifier"]


def data(kind, n=120, seed=0):
    if not kind.endswith("classifier"):
        X, y = make_regression(n_samples=n, n_features=5, noise=5.0, random_state=seed)
        y = y / y.std()
    else:
        X, y = make_classification(
            n_samples=n, n_features=5, n_informative=3, n_classes=3, random_state=seed
        )
    X = StandardScaler().fit_transform(X)
    return X[:80], y[:80], X[80:], y[80:]


def make(kind, **params):
    params = {"max_iter": 15, "learning_rate": 0.01, "random_state": 0, **params}
    if kind == "regressor":
        return TwoLayerSigmoidRegressor(hidden_size=6, **params)
    if kind == "mlp_regressor":
        return BackpropMLPRegressor(hidden_layer_sizes=6, activation="tanh", **params)
    if kind == "mlp_classifier":
        return BackpropMLPClassifier(hidden_layer_sizes=6, **params)
    return SoftmaxMLPClassifier(hidden_layer_sizes=6, **params)


def state(est):
    """Everything the estimator learned, pickled for a bitwise comparison."""
    return pickle.dumps(
        {k: v for k, v in vars(est).items() if k not in est.get_params(deep=False)}
    )


def data_loss(est, X, y, sample_weight=None):
    """The data term of the loss, computed by scikit-learn's metrics."""
    if isinstance(est, SoftmaxMLPClassifier | BackpropMLPClassifier):
        return log_loss(y, est.predict_proba(X), sample_weight=sample_weight)
    return 0.5 * mean_squared_error(y, est.predict(X), sample_weight=sample_weight)


@pytest.mark.parametrize("kind", KINDS)
def test_without_early_stopping_given_data_is_recorded_and_changes_nothing(kind):
    X, y, X_val, y_val = data(kind)
    plain = make(kind).fit(X, y)
    watched = make(kind).fit(X, y, X_val=X_val, y_val=y_val)
    # the same training, bit for bit: the validation data is only watched
    assert_array_equal(plain.coefs_[0], watched.coefs_[0])
    assert plain.validation_loss_curve_ is None and plain.validation_scores_ is None
    assert len(watched.validation_loss_curve_) == watched.n_iter_ == 15
    assert len(watched.validation_scores_) == 15
    # the last point is the final model's, by scikit-learn's metrics
    assert watched.validation_loss_curve_[-1] == pytest.approx(
        data_loss(watched, X_val, y_val), rel=1e-10
    )
    assert watched.validation_scores_[-1] == pytest.approx(
        watched.score(X_val, y_val), rel=1e-10
    )
    assert watched.best_validation_score_ == max(watched.validation_scores_)


@pytest.mark.parametrize("kind", KINDS)
def test_early_stopping_scores_given_data_instead_of_splitting(kind):
    X, y, X_val, y_val = data(kind)
    est = make(kind, early_stopping=True, max_iter=200, n_iter_no_change=3)
    est.fit(X, y, X_val=X_val, y_val=y_val)
    assert est.t_ == len(X) * est.n_iter_  # every training sample was trained on
    assert est.n_iter_ < 200
    # the best weights are kept: their score on the given data is the best one
    assert est.score(X_val, y_val) == pytest.approx(est.best_validation_score_)
    assert est.best_validation_score_ == max(est.validation_scores_)
    assert est.best_loss_ is None


def test_given_validation_data_lets_a_set_too_small_to_split_early_stop():
    X, y, X_val, y_val = data("regressor")
    est = make("regressor", early_stopping=True)
    with pytest.raises(ValueError, match="too small"):
        est.fit(X[:5], y[:5])
    est.fit(X[:5], y[:5], X_val=X_val, y_val=y_val)
    assert len(est.validation_scores_) == est.n_iter_


@pytest.mark.parametrize("kind", KINDS)
def test_split_off_validation_records_the_loss_curve_too(kind):
    X, y, _, _ = data(kind)
    est = make(kind, early_stopping=True).fit(X, y)
    assert len(est.validation_loss_curve_) == len(est.validation_scores_)
    assert len(est.validation_scores_) == est.n_iter_
    assert est.t_ == (len(X) - 8) * est.n_iter_  # a tenth held out


@pytest.mark.parametrize("kind", KINDS)
def test_scoring_loss_records_the_negative_validation_loss(kind):
    X, y, X_val, y_val = data(kind)
    est = make(kind, scoring="loss").fit(X, y, X_val=X_val, y_val=y_val)
    assert_array_equal(est.validation_scores_, -np.array(est.validation_loss_curve_))


@pytest.mark.parametrize("kind", KINDS)
def test_early_stopping_on_the_loss_keeps_the_weights_of_the_lowest_loss(kind):
    X, y, X_val, y_val = data(kind)
    est = make(kind, scoring="loss", early_stopping=True, max_iter=300)
    est.fit(X, y, X_val=X_val, y_val=y_val)
    assert data_loss(est, X_val, y_val) == pytest.approx(
        min(est.validation_loss_curve_), rel=1e-10
    )


@pytest.mark.parametrize(
    "kind, scoring",
    [
        ("regressor", "neg_mean_absolute_error"),
        ("mlp_regressor", "neg_mean_squared_error"),
        ("classifier", "balanced_accuracy"),
    ],
)
def test_a_scorer_name_or_callable_is_what_validation_scores_hold(kind, scoring):
    X, y, X_val, y_val = data(kind)
    scorer = get_scorer(scoring)
    for given in (scoring, scorer):
        est = make(kind, scoring=given).fit(X, y, X_val=X_val, y_val=y_val)
        assert est.validation_scores_[-1] == pytest.approx(scorer(est, X_val, y_val))
        assert est.validation_scores_[-1] != pytest.approx(est.score(X_val, y_val))


@pytest.mark.parametrize("kind", KINDS)
def test_sample_weight_val_weights_the_loss_and_the_score(kind):
    X, y, X_val, y_val = data(kind)
    w_val = np.random.default_rng(0).uniform(0.1, 3.0, len(y_val))
    est = make(kind).fit(X, y, X_val=X_val, y_val=y_val, sample_weight_val=w_val)
    assert est.validation_loss_curve_[-1] == pytest.approx(
        data_loss(est, X_val, y_val, w_val), rel=1e-10
    )
    assert est.validation_scores_[-1] == pytest.approx(
        est.score(X_val, y_val, sample_weight=w_val), rel=1e-10
    )
    assert est.validation_scores_[-1] != pytest.approx(est.score(X_val, y_val))


@pytest.mark.parametrize("kind", KINDS)
def test_partial_fit_appends_one_validation_point_per_call(kind):
    X, y, X_val, y_val = data(kind)
    est = make(kind)
    extra = {"classes": np.unique(y)} if kind.endswith("classifier") else {}
    for calls in range(1, 4):
        est.partial_fit(X, y, X_val=X_val, y_val=y_val, **extra)
        assert len(est.validation_loss_curve_) == calls
    assert est.validation_scores_[-1] == pytest.approx(est.score(X_val, y_val))


def test_lbfgs_records_validation_curves_per_iteration():
    X, y, X_val, y_val = data("regressor")
    est = make("regressor", solver="lbfgs", max_iter=8)
    est.fit(X, y, X_val=X_val, y_val=y_val)
    assert len(est.validation_scores_) == len(est.loss_curve_)
    assert est.validation_scores_[-1] == pytest.approx(
        r2_score(y_val, est.predict(X_val))
    )


# -- bad validation data: the training data's errors, nothing changed ---------------
def bad_validation(kind):
    X, y, X_val, y_val = data(kind)
    nan = X_val.copy()
    nan[0, 0] = np.nan
    unseen = np.full_like(y_val, 7) if kind.endswith("classifier") else y_val * 1e9
    cases = {
        "features": ({"X_val": X_val[:, :3], "y_val": y_val}, "features"),
        "nan": ({"X_val": nan, "y_val": y_val}, "NaN"),
        "lengths": ({"X_val": X_val, "y_val": y_val[:-1]}, "inconsistent"),
        "weights": (
            {"X_val": X_val, "y_val": y_val, "sample_weight_val": np.ones(3)},
            "sample_weight",
        ),
        "no-y": ({"X_val": X_val}, "y_val"),
        "weights-only": ({"sample_weight_val": np.ones(len(y_val))}, "X_val"),
    }
    if kind.endswith("classifier"):
        cases["unseen"] = ({"X_val": X_val, "y_val": unseen}, "not in classes")
    return X, y, cases


BAD = [(kind, case) for kind in KINDS for case in bad_validation(kind)[2]]


@pytest.mark.parametrize("kind, case", BAD)
def test_bad_validation_data_is_refused_before_anything_changes(kind, case):
    X, y, cases = bad_validation(kind)
    given, message = cases[case]
    new = make(kind, early_stopping=True)
    with pytest.raises(ValueError, match=message):
        new.fit(X, y, **given)
    assert not hasattr(new, "n_features_in_") and not hasattr(new, "_rng")
    fitted = make(kind, warm_start=True).fit(X, y)
    before = state(fitted)
    with pytest.raises(ValueError, match=message):
        fitted.fit(X, y, **given)
    assert state(fitted) == before
    extra = {"classes": np.unique(y)} if kind.endswith("classifier") else {}
    with pytest.raises(ValueError, match=message):
        fitted.partial_fit(X, y, **given, **extra)
    assert state(fitted) == before


def test_sigmoid_output_refuses_validation_targets_outside_0_1():
    X, y, X_val, y_val = data("regressor")
    est = make("regressor", output_activation="sigmoid")
    with pytest.raises(ValueError, match=r"validation data.*\[0, 1\]"):
        est.fit(X, (y > 0).astype(float), X_val=X_val, y_val=y_val)


# -- metadata routing -------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_validation_data_is_routed_through_a_pipeline(kind):
    X, y, X_val, y_val = data(kind)
    X, X_val = 10 * X + 3, 10 * X_val + 3  # unscaled: the pipeline scales them
    with sklearn.config_context(enable_metadata_routing=True):
        est = make(kind, early_stopping=True, max_iter=100, n_iter_no_change=3)
        est.set_fit_request(X_val=True, y_val=True, sample_weight_val=True)
        pipe = Pipeline(
            [("scale", StandardScaler()), ("net", est)], transform_input=["X_val"]
        )
        w_val = np.linspace(0.5, 2.0, len(y_val))
        pipe.fit(X, y, X_val=X_val, y_val=y_val, sample_weight_val=w_val)
        net = pipe.named_steps["net"]
        assert net.t_ == len(X) * net.n_iter_  # no split: the given data was used
        # X_val reached the network scaled by the fitted first step
        scaled = pipe[:-1].transform(X_val)
        assert net.best_validation_score_ == pytest.approx(
            net.score(scaled, y_val, sample_weight=w_val)
        )


@pytest.mark.parametrize("kind", KINDS)
def test_validation_data_can_be_requested_for_partial_fit(kind):
    with sklearn.config_context(enable_metadata_routing=True):
        est = make(kind).set_partial_fit_request(X_val=True, y_val=True)
        routing = est.get_metadata_routing()
        assert routing.consumes("partial_fit", ["X_val", "y_val"]) == {"X_val", "y_val"}


def test_classifier_validation_loss_curve_follows_training_on_separable_data():
    X, y, X_val, y_val = data("classifier")
    est = make("classifier", learning_rate=0.05, max_iter=30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y, X_val=X_val, y_val=y_val)
    assert est.validation_loss_curve_[-1] < est.validation_loss_curve_[0]
    assert_allclose(
        est.validation_loss_curve_[-1], data_loss(est, X_val, y_val), rtol=1e-10
    )


@pytest.mark.parametrize("classifier", [SoftmaxMLPClassifier, BackpropMLPClassifier])
def test_the_classifier_split_is_stratified_as_scikit_learns(classifier, monkeypatch):
    # 90 / 10 samples of two classes: a 20 % split holds out 18 and 2 of them.
    held_out = []
    split = validation.train_test_split

    def recording_split(*arrays, **kwargs):
        parts = split(*arrays, **kwargs)
        held_out.append((kwargs["stratify"], parts[5]))  # the raw y held out
        return parts

    monkeypatch.setattr(validation, "train_test_split", recording_split)
    rng = np.random.RandomState(0)
    X = rng.randn(100, 3)
    y = np.where(np.arange(100) < 90, "big", "small")
    classifier(
        hidden_layer_sizes=3,
        early_stopping=True,
        validation_fraction=0.2,
        max_iter=2,
        random_state=0,
    ).fit(X, y)
    stratify, y_val = held_out[0]
    # scikit-learn's MLPClassifier stratifies on its label-binarized y
    assert stratify.dtype == bool and stratify.shape == (100, 1)
    assert sorted(y_val.tolist()) == ["big"] * 18 + ["small"] * 2


@pytest.mark.parametrize("classifier", [SoftmaxMLPClassifier, BackpropMLPClassifier])
def test_a_split_that_cannot_be_stratified_quotes_scikit_learns_splitter(classifier):
    est = classifier(early_stopping=True)
    with pytest.raises(
        ValueError,
        match=r"(?s)stratified by class.*set early_stopping=False.*"
        r"The least populated classes in y have only 1 member",
    ):
        est.fit([[1, 2], [2, 3], [3, 4], [4, 5]], [0, 0, 0, 1])
    assert not hasattr(est, "classes_")
