"""BackpropMLPClassifier: scikit-learn's MLPClassifier on the manual gradients —
one logistic unit for two classes, softmax for more, one logistic unit per label
for a multilabel indicator y."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_multilabel_classification
from sklearn.neural_network import MLPClassifier

from skbackprop import BackpropMLPClassifier, check_gradients
from skbackprop._losses import binary_cross_entropy_and_delta

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

RNG = np.random.RandomState(0)
X = RNG.randn(60, 5)
Y_BINARY = np.where(X[:, 0] + X[:, 1] > 0, "yes", "no")
Y_MULTICLASS = np.digitize(X[:, 2], [-0.5, 0.5])
Y_MULTILABEL = np.c_[X[:, 0] > 0, X[:, 1] > 0.3, X[:, 3] < 0.5].astype(int)
W = RNG.uniform(0.2, 3.0, 60)
TARGETS = {"binary": Y_BINARY, "multiclass": Y_MULTICLASS, "multilabel": Y_MULTILABEL}
# the output scikit-learn gives each kind of y: (out_activation_, n_outputs_, proba)
SHAPES = {
    "binary": ("logistic", 1, 2),
    "multiclass": ("softmax", 3, 3),
    "multilabel": ("logistic", 3, 3),
}


def small(**params):
    return BackpropMLPClassifier(
        **{"hidden_layer_sizes": (6,), "max_iter": 30, "random_state": 0, **params}
    )


@pytest.mark.parametrize("kind", TARGETS)
def test_outputs_and_shapes_are_scikit_learns(kind):
    y = TARGETS[kind]
    ours = small().fit(X, y)
    theirs = MLPClassifier(hidden_layer_sizes=(6,), max_iter=30).fit(X, y)
    out, n_outputs, n_proba = SHAPES[kind]
    assert (ours.out_activation_, ours.n_outputs_) == (out, n_outputs)
    assert (theirs.out_activation_, theirs.n_outputs_) == (out, n_outputs)
    assert_array_equal(ours.classes_, theirs.classes_)
    assert [c.shape for c in ours.coefs_] == [c.shape for c in theirs.coefs_]
    assert [b.shape for b in ours.intercepts_] == [b.shape for b in theirs.intercepts_]
    assert ours.predict_proba(X).shape == (60, n_proba)
    assert ours.predict_log_proba(X).shape == (60, n_proba)
    assert ours.predict(X).shape == theirs.predict(X).shape
    assert ours.predict(X).dtype.kind == theirs.predict(X).dtype.kind
    decision = ours.decision_function(X)
    assert decision.shape == ((60,) if kind == "binary" else (60, n_outputs))


@pytest.mark.parametrize("kind", TARGETS)
def test_weights_move_between_the_libraries(kind):
    """scikit-learn's fitted weights in our network predict what scikit-learn does."""
    y = TARGETS[kind]
    theirs = MLPClassifier(hidden_layer_sizes=(6, 4), max_iter=50, random_state=1)
    theirs.fit(X, y)
    ours = small(hidden_layer_sizes=(6, 4), max_iter=1).fit(X, y)
    ours_arrays = ours.coefs_ + ours.intercepts_
    for mine, other in zip(
        ours_arrays, theirs.coefs_ + theirs.intercepts_, strict=True
    ):
        mine[...] = other
    assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-12)
    assert_array_equal(ours.predict(X), theirs.predict(X))
    assert ours.score(X, y) == theirs.score(X, y)


def test_binary_probabilities_and_logs_are_stable_at_extreme_logits():
    clf = small(max_iter=1).fit(X, Y_BINARY)
    clf.coefs_[-1][...] = 1e4  # logits of ±1e4 and more
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        proba = clf.predict_proba(X * 100)
        log_proba = clf.predict_log_proba(X * 100)
    assert np.isfinite(log_proba).all() and (log_proba <= 0).all()
    assert_allclose(proba.sum(axis=1), 1.0)
    decision = clf.decision_function(X * 100)
    assert_allclose(log_proba[:, 1], -np.logaddexp(0, -decision))
    assert_array_equal(clf.predict(X * 100), clf.classes_[(decision > 0).astype(int)])


def test_binary_cross_entropy_is_softplus_minus_y_a_and_its_delta():
    a = np.array([[-800.0, 0.3], [2.0, 750.0], [0.0, -3.0]])
    y = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    w = np.array([1.0, 2.0, 0.5])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        loss, delta = binary_cross_entropy_and_delta(a.copy(), y, w, w.sum())
    per_entry = np.logaddexp(0, a) - y * a
    assert_allclose(loss, (w @ per_entry.sum(axis=1)) / w.sum(), rtol=1e-14)
    sigma = 0.5 * (1 + np.tanh(a / 2))
    assert_allclose(delta, w[:, None] / w.sum() * (sigma - y), atol=1e-16)


@pytest.mark.parametrize("kind", TARGETS)
@pytest.mark.parametrize("weighted", [False, True])
def test_gradients_match_finite_differences(kind, weighted):
    clf = small(
        hidden_layer_sizes=(5, 4), activation="tanh", solver="gd", alpha=0.3
    ).partial_fit(X, TARGETS[kind], classes=np.unique(TARGETS[kind]))
    report = check_gradients(
        clf, X, TARGETS[kind], sample_weight=W if weighted else None
    )
    assert report.max_relative_error < 1e-6


def test_multilabel_partial_fit_call_after_call():
    """scikit-learn #12505: partial_fit on an indicator y, call after call."""
    X_ml, Y_ml = make_multilabel_classification(80, 6, n_classes=4, random_state=0)
    clf = small(solver="sgd", learning_rate=0.05)
    for start in range(0, 80, 20):
        rows = slice(start, start + 20)
        clf.partial_fit(X_ml[rows], Y_ml[rows], classes=np.arange(4))
    assert clf.t_ == 80 and len(clf.loss_curve_) == 4
    assert_array_equal(clf.classes_, np.arange(4))
    assert set(np.unique(clf.predict(X_ml))) <= {0, 1}
    with pytest.raises(ValueError, match="3 label columns"):
        clf.partial_fit(X_ml, Y_ml[:, :3])
    with pytest.raises(ValueError, match="multilabel indicator matrix"):
        clf.partial_fit(X_ml, Y_ml[:, 0])


def test_multilabel_partial_fit_takes_its_labels_from_the_columns():
    clf = small().partial_fit(X, Y_MULTILABEL, classes=[0, 1])  # as scikit-learn
    assert_array_equal(clf.classes_, [0, 1, 2])


def test_class_weight_on_a_multilabel_y_is_refused_and_the_model_kept():
    clf = small(class_weight={0: 1.0, 1: 2.0, 2: 1.0})
    with pytest.raises(ValueError, match="class_weight is not supported for a multi"):
        clf.fit(X, Y_MULTILABEL)
    assert not hasattr(clf, "coefs_") and not hasattr(clf, "classes_")


def test_binary_class_weight_multiplies_the_sample_weights():
    weights = {"no": 1.0, "yes": 3.0}
    weighted = small(class_weight=weights, max_iter=1).fit(X, Y_BINARY)
    factors = np.where(Y_BINARY == "yes", 3.0, 1.0)
    by_hand = small(max_iter=1).fit(X, Y_BINARY, sample_weight=factors)
    assert_allclose(weighted.coefs_[0], by_hand.coefs_[0], rtol=1e-12)


def test_multilabel_early_stopping_splits_without_stratifying():
    clf = small(early_stopping=True, validation_fraction=0.2).fit(X, Y_MULTILABEL)
    assert len(clf.validation_scores_) == clf.n_iter_
    assert clf.best_loss_ is None


@pytest.mark.parametrize("kind", TARGETS)
def test_float32_trains_and_predicts_in_float32(kind):
    clf = small().fit(X.astype(np.float32), TARGETS[kind])
    assert clf.coefs_[0].dtype == np.float32
    assert clf.predict_proba(X.astype(np.float32)).dtype == np.float32


def test_column_of_labels_warns_and_fits_as_a_vector():
    from sklearn.exceptions import DataConversionWarning

    with warnings.catch_warnings():
        warnings.simplefilter("error", DataConversionWarning)
        with pytest.raises(DataConversionWarning):
            small().fit(X, Y_BINARY[:, np.newaxis])


# -- every 0.2 feature, on the new classifier ------------------------------------------
@pytest.mark.parametrize("kind", TARGETS)
def test_sparse_X_trains_as_the_dense_one(kind):
    import scipy.sparse as sp

    dense = small(solver="sgd", max_iter=5).fit(X, TARGETS[kind])
    sparse = small(solver="sgd", max_iter=5).fit(sp.csr_matrix(X), TARGETS[kind])
    assert_allclose(sparse.coefs_[0], dense.coefs_[0], rtol=1e-10)
    assert_allclose(sparse.predict_proba(sp.csc_matrix(X)), dense.predict_proba(X))


@pytest.mark.parametrize("kind", TARGETS)
@pytest.mark.parametrize("scoring", [None, "loss"])
def test_validation_data_and_schedules(kind, scoring):
    y = TARGETS[kind]
    clf = small(
        solver="sgd",
        learning_rate=0.05,
        learning_rate_schedule="cosine",
        nesterovs_momentum=False,
        scoring=scoring,
        max_iter=12,
    ).fit(X[:40], y[:40], X_val=X[40:], y_val=y[40:])
    assert len(clf.validation_loss_curve_) == len(clf.validation_scores_) == 12
    assert clf.learning_rate_curve_[0] == 0.05 > clf.learning_rate_curve_[-1]
    if scoring is None:  # accuracy, subset accuracy for a multilabel y
        best = max(clf.validation_scores_)
        assert 0 <= best <= 1 and clf.best_validation_score_ == best
    # the validation loss is the data term of the training loss on X_val
    unregularised = clf.set_params(alpha=0.0)
    loss, _, _ = unregularised.loss_and_gradients(X[40:], y[40:])
    assert_allclose(clf.validation_loss_curve_[-1], loss, rtol=1e-12)


def test_meta_estimators_and_search_take_it():
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import StackingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV, cross_validate
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    pipe = make_pipeline(StandardScaler(), small(solver="lbfgs"))
    scores = cross_validate(
        pipe, X, Y_BINARY, cv=3, scoring=["accuracy", "neg_log_loss"]
    )
    assert scores["test_accuracy"].mean() > 0.7
    search = GridSearchCV(
        small(solver="lbfgs"), {"alpha": [1e-4, 1.0]}, cv=3, n_jobs=2
    ).fit(X, Y_MULTICLASS)
    assert search.best_estimator_.out_activation_ == "softmax"
    calibrated = CalibratedClassifierCV(small(solver="lbfgs"), cv=3).fit(X, Y_BINARY)
    assert calibrated.predict_proba(X).shape == (60, 2)
    stack = StackingClassifier(
        [("mlp", small(solver="lbfgs"))], final_estimator=LogisticRegression()
    ).fit(X, Y_BINARY)
    assert stack.score(X, Y_BINARY) > 0.7
    multilabel = cross_validate(small(solver="lbfgs"), X, Y_MULTILABEL, cv=3)
    assert multilabel["test_score"].mean() > 0.3  # subset accuracy


def test_callbacks_see_every_epoch():
    from sklearn.callback import ProgressBar

    from skbackprop.callbacks import GradientMonitor

    monitor = GradientMonitor(max_samples=30)
    clf = small(max_iter=4).set_callbacks(ProgressBar(), monitor)
    clf.fit(X, Y_MULTILABEL)
    assert {row["epoch"] for row in monitor.history} == {1, 2, 3, 4}
    assert len({row["layer"] for row in monitor.history}) == 2


def test_pickle_and_skops_round_trip_every_kind():
    import pickle

    import skops.io as sio

    for kind, y in TARGETS.items():
        clf = small(max_iter=3).fit(X, y)
        for restored in (
            pickle.loads(pickle.dumps(clf)),
            sio.loads(
                sio.dumps(clf),
                trusted=["skbackprop._mlp_classifier.BackpropMLPClassifier"],
            ),
        ):
            assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
            assert restored._y_kind_ == kind
        untrusted = sio.get_untrusted_types(data=sio.dumps(clf))
        assert untrusted == ["skbackprop._mlp_classifier.BackpropMLPClassifier"]


@pytest.mark.parametrize("kind", TARGETS)
def test_log_proba_is_the_log_of_proba_and_finite_where_proba_underflows(kind):
    # scikit-learn's predict_log_proba is log(predict_proba): saturated
    # probabilities (1.0 for several labels) tie, and argmax agrees on the tie
    clf = small(max_iter=1).fit(X, TARGETS[kind])
    clf.coefs_[-1][...] = np.linspace(-40, 40, clf.coefs_[-1].size).reshape(
        clf.coefs_[-1].shape
    )
    proba = clf.predict_proba(X * 30)
    log_proba = clf.predict_log_proba(X * 30)
    positive = proba > 0
    assert_array_equal(log_proba[positive], np.log(proba[positive]))
    rows = positive.any(axis=1)  # a row of zeros has no argmax to agree on
    assert_array_equal(log_proba[rows].argmax(axis=1), proba[rows].argmax(axis=1))
    assert (proba == 1.0).any() and (~positive).any()  # both ends are reached
    assert np.isfinite(log_proba).all()
    assert (log_proba[~positive] < -700).all()  # log σ(a) from a, not −inf


@pytest.mark.parametrize("early_stopping", [False, True])
def test_a_single_class_is_fitted_as_scikit_learns(early_stopping):
    # one logistic unit trained on all-zero targets; the class is always
    # predicted, predict_proba is (n, 2) [1 − σ(a), σ(a)] as scikit-learn's
    y = np.full(len(X), "only")
    params = {"hidden_layer_sizes": (6,), "max_iter": 20, "random_state": 0}
    params["early_stopping"] = early_stopping
    ours = BackpropMLPClassifier(**params).fit(X, y)
    theirs = MLPClassifier(**params).fit(X, y)
    assert_array_equal(ours.classes_, theirs.classes_)
    assert (ours.n_outputs_, ours.out_activation_) == (1, "logistic")
    assert_array_equal(ours.predict(X), y)
    assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-9)
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-9)
    if early_stopping:
        assert ours.validation_scores_ == theirs.validation_scores_
    ours.coefs_[-1][...] = 50.0  # σ(a) > ½ everywhere: still the only class
    assert_array_equal(ours.predict(X), y)
    assert ours.score(X, y) == 1.0
