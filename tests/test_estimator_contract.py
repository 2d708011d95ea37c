"""Finer points of the estimator contract: live views, continuation rules, targets."""

from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skbackprop import (
    BackpropMLPClassifier,
    BackpropMLPRegressor,
    SoftmaxMLPClassifier,
    TwoLayerSigmoidRegressor,
)

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


def test_partial_fit_after_switching_to_a_sigmoid_output_is_refused(data):
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


def test_balanced_class_weight_on_a_subset_missing_a_class_does_not_crash(data):
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


def test_best_loss_is_none_with_early_stopping_and_a_warm_start_without_works():
    rng = np.random.RandomState(5)
    X = rng.randn(80, 3)
    y = X @ [1.0, 0.5, -1.0]
    reg = TwoLayerSigmoidRegressor(
        hidden_size=4, early_stopping=True, max_iter=5, random_state=0
    ).fit(X, y)
    assert reg.best_loss_ is None
    reg.set_params(early_stopping=False, warm_start=True).fit(X, y)
    assert np.isfinite(reg.best_loss_)
    assert reg.validation_scores_ is None


def test_warm_start_fit_restarts_the_no_improvement_count():
    rng = np.random.RandomState(6)
    X, y = rng.randn(40, 3), rng.randn(40)
    reg = TwoLayerSigmoidRegressor(
        hidden_size=3, tol=1e9, n_iter_no_change=3, max_iter=50, random_state=0
    )
    assert reg.fit(X, y).n_iter_ == 5  # epoch 1 improves on inf, 4 more do not
    # a warm start counts afresh; epoch 1 no longer improves on best_loss_
    assert reg.set_params(warm_start=True).fit(X, y).n_iter_ == 4


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_sparse_input_with_shuffled_minibatches_equals_dense(solver):
    import scipy.sparse as sp

    rng = np.random.RandomState(7)
    X = rng.randn(50, 6) * (rng.rand(50, 6) < 0.4)
    y = np.arange(50) % 3
    params = {"solver": solver, "batch_size": 8, "max_iter": 3, "random_state": 0}
    dense = SoftmaxMLPClassifier(hidden_layer_sizes=4, **params).fit(X, y)
    sparse = SoftmaxMLPClassifier(hidden_layer_sizes=4, **params).fit(
        sp.csr_matrix(X), y
    )
    for a, b in zip(dense.coefs_, sparse.coefs_, strict=True):
        assert_allclose(a, b, rtol=1e-10, atol=1e-13)


def test_minibatches_step_in_order_over_every_row_including_the_last_short_one():
    rng = np.random.RandomState(8)
    X, y, w = rng.randn(30, 3), rng.randn(30), rng.rand(30) + 0.5
    params = {
        "hidden_size": 4,
        "solver": "sgd",
        "momentum": 0.0,
        "learning_rate": 0.1,
        "batch_size": 8,
        "shuffle": False,
        "random_state": 0,
    }
    reg = TwoLayerSigmoidRegressor(**params).partial_fit(X, y, sample_weight=w)
    by_hand = TwoLayerSigmoidRegressor(**{**params, "learning_rate": 1e-300})
    by_hand.partial_fit(X[:1], y[:1])  # the same initial weights, left unmoved
    losses, weights = [], []
    for rows in (slice(0, 8), slice(8, 16), slice(16, 24), slice(24, 30)):
        loss, coef_grads, intercept_grads = by_hand.loss_and_gradients(
            X[rows], y[rows], sample_weight=w[rows]
        )
        losses.append(loss)
        weights.append(w[rows].sum())
        for p, g in zip(
            by_hand.coefs_ + by_hand.intercepts_,
            coef_grads + intercept_grads,
            strict=True,
        ):
            p -= 0.1 * g
    for a, b in zip(reg.coefs_, by_hand.coefs_, strict=True):
        assert_allclose(a, b, rtol=1e-12)
    assert_allclose(reg.loss_, np.dot(losses, weights) / w.sum(), rtol=1e-12)


@pytest.mark.parametrize(
    "estimator",
    [
        SoftmaxMLPClassifier(),
        TwoLayerSigmoidRegressor(),
        BackpropMLPRegressor(),
        BackpropMLPClassifier(),
    ],
)
def test_html_repr_links_to_the_readme_api_section(estimator):
    link = estimator._get_doc_link()
    assert link.startswith("https://") and link.endswith("#api-in-brief")
    assert f'href="{link}"' in estimator._repr_html_()
    # the anchor is the README's own heading
    with open(Path(__file__).parents[1] / "README.md", encoding="utf-8") as readme:
        assert "\n## API in brief\n" in readme.read()
