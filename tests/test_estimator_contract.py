"""Finer points of the estimator contract: live views, continuation rules, targets."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skbackprop import SoftmaxMLPClassifier, TwoLayerSigmoidRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture
def data():
    rng = np.random.RandomState(0)
    X = rng.randn(40, 3)
    return X, (X[:, 0] > 0).astype(int), X @ [1.0, -2.0, 0.5]


def test_coefs_handed_out_earlier_stay_live_after_partial_fit_and_warm_start(data):
    X, labels, _ = data
    clf = SoftmaxMLPClassifier(hidden_layer_sizes=4, random_state=0)
    clf.partial_fit(X, labels, classes=[0, 1])
    W = clf.coefs_[0]
    clf.partial_fit(X, labels)
    clf.set_params(warm_start=True, max_iter=3).fit(X, labels)
    assert np.shares_memory(W, clf.coefs_[0])
    assert_array_equal(W, clf.coefs_[0])


def test_replacing_an_item_of_coefs_does_not_desynchronise_the_model(data):
    X, labels, _ = data
    clf = SoftmaxMLPClassifier(hidden_layer_sizes=4, max_iter=5, random_state=0)
    before = clf.fit(X, labels).predict_proba(X)
    clf.coefs_[1] = np.zeros_like(clf.coefs_[1])  # rebinds a list item only
    assert_array_equal(clf.predict_proba(X), before)
    clf.coefs_[1][...] = 0.0  # writing into the view changes the model
    assert not np.allclose(clf.predict_proba(X), before)


@pytest.mark.parametrize(
    "change",
    [{"hidden_layer_sizes": 6}, {"activation": "tanh"}],
)
def test_warm_start_with_another_architecture_raises_and_keeps_the_model(data, change):
    X, labels, _ = data
    clf = SoftmaxMLPClassifier(hidden_layer_sizes=4, max_iter=3, random_state=0)
    clf.fit(X, labels)
    before = clf.predict_proba(X)
    clf.set_params(warm_start=True, **change)
    with pytest.raises(ValueError, match="refit with warm_start=False"):
        clf.fit(X, labels)
    assert_array_equal(clf.predict_proba(X), before)


def test_partial_fit_after_switching_to_a_sigmoid_output_still_checks_targets(data):
    X, _, y = data
    reg = TwoLayerSigmoidRegressor(hidden_size=3, random_state=0)
    reg.partial_fit(X, y)
    reg.set_params(output_activation="sigmoid")
    with pytest.raises(ValueError, match="refit with warm_start=False"):
        reg.partial_fit(X, y)


def test_early_stopping_with_a_validation_set_under_two_samples_raises(data):
    X, _, y = data
    reg = TwoLayerSigmoidRegressor(early_stopping=True, validation_fraction=0.03)
    with pytest.raises(ValueError, match="validation set is too small"):
        reg.fit(X[:20], y[:20])
    assert not hasattr(reg, "n_iter_")


def test_partial_fit_refuses_early_stopping(data):
    X, labels, _ = data
    clf = SoftmaxMLPClassifier(early_stopping=True)
    with pytest.raises(ValueError, match="early_stopping"):
        clf.partial_fit(X, labels, classes=[0, 1])


def test_n_iter_counts_the_epochs_of_the_last_call(data):
    X, labels, _ = data
    clf = SoftmaxMLPClassifier(hidden_layer_sizes=4, random_state=0)
    for _ in range(3):
        clf.partial_fit(X, labels, classes=[0, 1])
    assert clf.n_iter_ == 1
    assert clf.t_ == 3 * len(X)
    assert len(clf.loss_curve_) == 3


def test_sigmoid_output_accepts_integer_and_boolean_targets(data):
    X, labels, _ = data
    for y in (labels, labels.astype(bool)):
        reg = TwoLayerSigmoidRegressor(
            output_activation="sigmoid", hidden_size=3, max_iter=5, random_state=0
        ).fit(X, y)
        prediction = reg.predict(X)
        assert prediction.dtype == np.float64
        assert np.all((prediction >= 0) & (prediction <= 1))


def test_balanced_class_weight_on_a_subset_missing_a_class(data):
    X, labels, _ = data
    clf = SoftmaxMLPClassifier(
        class_weight="balanced", hidden_layer_sizes=3, max_iter=3, random_state=0
    ).fit(X, labels)
    only_ones = labels == 1
    loss, coef_grads, _ = clf.loss_and_gradients(X[only_ones], labels[only_ones])
    unweighted = SoftmaxMLPClassifier(
        hidden_layer_sizes=3, max_iter=3, random_state=0
    ).fit(X, labels)
    unweighted.coefs_[0][...] = clf.coefs_[0]
    unweighted.coefs_[1][...] = clf.coefs_[1]
    unweighted.intercepts_[0][...] = clf.intercepts_[0]
    unweighted.intercepts_[1][...] = clf.intercepts_[1]
    # one class present: its balanced weight is 1, so the loss is the plain one
    expected, expected_grads, _ = unweighted.loss_and_gradients(
        X[only_ones], labels[only_ones]
    )
    assert_allclose(loss, expected, rtol=1e-12)
    assert_allclose(coef_grads[0], expected_grads[0], rtol=1e-12)


def test_lbfgs_divergence_message_does_not_blame_the_learning_rate():
    X = np.random.RandomState(0).randn(20, 2) * 1e200
    y = np.arange(20) % 2
    clf = SoftmaxMLPClassifier(solver="lbfgs", hidden_layer_sizes=3, max_iter=5)
    with pytest.raises(ValueError, match="ignores the learning rate"):
        clf.fit(X, y)


def test_early_stopping_keeps_the_weights_of_the_best_validation_epoch():
    rng = np.random.RandomState(1)
    X = rng.randn(120, 4)
    y = (X[:, 0] + 0.5 * rng.randn(120) > 0).astype(int)
    params = {
        "hidden_layer_sizes": 5,
        "solver": "sgd",
        "learning_rate": 0.5,
        "early_stopping": True,
        "validation_fraction": 0.3,
        "n_iter_no_change": 30,
        "max_iter": 30,
        "random_state": 0,
    }
    clf = SoftmaxMLPClassifier(**params).fit(X, y)
    best_epoch = int(np.argmax(clf.validation_scores_)) + 1
    assert best_epoch < clf.n_iter_  # the last epoch is not the best one here
    # the same run stopped at the best epoch ends on exactly those weights
    stopped = SoftmaxMLPClassifier(**{**params, "max_iter": best_epoch}).fit(X, y)
    for kept, at_best in zip(clf.coefs_, stopped.coefs_, strict=True):
        assert_array_equal(kept, at_best)


def test_early_stopping_counts_epochs_below_tol_as_no_improvement():
    rng = np.random.RandomState(2)
    X = rng.randn(100, 3)
    y = (X[:, 0] > 0).astype(int)
    clf = SoftmaxMLPClassifier(
        hidden_layer_sizes=4,
        early_stopping=True,
        tol=10.0,  # no accuracy can improve by 10
        n_iter_no_change=2,
        max_iter=50,
        random_state=0,
    ).fit(X, y)
    # epoch 1 improves on -inf; epochs 2, 3 and 4 do not: stop after 4
    assert clf.n_iter_ == 4


def test_balanced_class_weight_equals_balanced_sample_weights():
    from sklearn.utils.class_weight import compute_sample_weight

    rng = np.random.RandomState(3)
    X = rng.randn(60, 3)
    y = np.where(np.arange(60) < 45, "a", "b")
    params = {"hidden_layer_sizes": 4, "solver": "gd", "max_iter": 5, "random_state": 0}
    balanced = SoftmaxMLPClassifier(class_weight="balanced", **params).fit(X, y)
    weighted = SoftmaxMLPClassifier(**params).fit(
        X, y, sample_weight=compute_sample_weight("balanced", y)
    )
    plain = SoftmaxMLPClassifier(**params).fit(X, y)
    assert_allclose(balanced.coefs_[0], weighted.coefs_[0], rtol=1e-12)
    assert not np.allclose(balanced.coefs_[0], plain.coefs_[0])


@pytest.mark.parametrize("weighted", [False, True])
def test_epoch_loss_is_the_sample_weighted_mean_over_uneven_minibatches(weighted):
    rng = np.random.RandomState(4)
    X, y = rng.randn(20, 3), rng.randn(20)
    w = rng.rand(20) * 3 if weighted else None
    # batches of 7, 7 and 6 rows; a step too small to move any weight
    reg = TwoLayerSigmoidRegressor(
        hidden_size=4,
        solver="sgd",
        momentum=0.0,
        learning_rate=1e-300,
        batch_size=7,
        alpha=0.0,
        random_state=0,
    )
    reg.partial_fit(X, y, sample_weight=w)
    full_loss, _, _ = reg.loss_and_gradients(X, y, sample_weight=w)
    assert_allclose(reg.loss_, full_loss, rtol=1e-12)
