"""Progress and monitoring through scikit-learn's callback API and ``verbose``."""

import re
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.callback import ProgressBar, ScoringMonitor
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skbackprop import (
    BackpropMLPRegressor,
    SoftmaxMLPClassifier,
    TwoLayerSigmoidRegressor,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# n_iter_no_change above max_iter: every fit runs exactly max_iter epochs.
EPOCHS = 6
FIXED_LENGTH = {"max_iter": EPOCHS, "n_iter_no_change": EPOCHS + 1, "random_state": 0}


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(n_samples=90, n_features=5, random_state=0)
    return StandardScaler().fit_transform(X), y


def classifier(**params):
    return SoftmaxMLPClassifier(
        **{"hidden_layer_sizes": 6, "learning_rate": 0.01, **FIXED_LENGTH, **params}
    )


def regressor(cls=TwoLayerSigmoidRegressor, **params):
    width = {"hidden_size": 6}
    if cls is BackpropMLPRegressor:
        width = {"hidden_layer_sizes": (6, 4), "activation": "silu"}
    return cls(**{**width, "learning_rate": 0.01, **FIXED_LENGTH, **params})


class Recorder:
    """A callback that records every hook call; asks to stop after ``stop_after``
    epochs."""

    def __init__(self, stop_after=None):
        self.stop_after = stop_after
        self.events = []
        self.epoch_models = []

    def setup(self, estimator, context):
        self.events.append("setup")

    def teardown(self, estimator, context):
        self.events.append("teardown")

    def on_fit_task_begin(self, estimator, context):
        self.events.append(f"begin {context.task_name}")

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        self.events.append(f"end {context.task_name}")
        if context.task_name != "epoch":
            return False
        self.epoch_models.append(fitted_estimator)
        return self.stop_after is not None and len(self.epoch_models) >= self.stop_after


def epoch_rows(monitor):
    frame = monitor.get_logs().data_as_pandas
    return frame[frame["task_name"] == "epoch"], frame[frame["task_name"] == "fit"]


# -- ScoringMonitor ---------------------------------------------------------------
@pytest.mark.parametrize("solver", ["gd", "sgd", "adam", "lbfgs"])
def test_scoring_monitor_records_one_score_per_epoch(data, solver):
    X, y = data
    monitor = ScoringMonitor(scoring="accuracy")
    clf = classifier(solver=solver).set_callbacks(monitor).fit(X, y)
    epochs, fits = epoch_rows(monitor)
    assert len(epochs) == clf.n_iter_ >= 1
    assert list(epochs["task_id"]) == list(range(clf.n_iter_))
    assert len(fits) == 1
    assert (epochs["estimator_name"] == "SoftmaxMLPClassifier").all()
    # the last epoch and the whole fit are scored on the final weights
    assert epochs["accuracy"].iloc[-1] == pytest.approx(clf.score(X, y))
    assert fits["accuracy"].iloc[0] == pytest.approx(clf.score(X, y))


@pytest.mark.parametrize("early_stopping", [False, True])
def test_scoring_monitor_rows_follow_a_fit_that_converges_early(data, early_stopping):
    X, y = data
    monitor = ScoringMonitor(scoring="accuracy")
    # After the first epoch an improvement of tol=10 never comes: training stops
    # once n_iter_no_change + 1 epochs in a row have not improved.
    clf = classifier(
        max_iter=50, tol=10.0, n_iter_no_change=2, early_stopping=early_stopping
    )
    clf.set_callbacks(monitor).fit(X, y)
    epochs, fits = epoch_rows(monitor)
    assert clf.n_iter_ == 1 + 3
    assert len(epochs) == clf.n_iter_ and len(fits) == 1


@pytest.mark.parametrize("cls", [TwoLayerSigmoidRegressor, BackpropMLPRegressor])
def test_scoring_monitor_on_the_regressor_with_lbfgs(data, cls):
    X, y = data
    monitor = ScoringMonitor(scoring=["r2", "neg_mean_squared_error"])
    reg = regressor(cls, solver="lbfgs", max_iter=15)
    reg.set_callbacks(monitor).fit(X, y.astype(float))
    epochs, _ = epoch_rows(monitor)
    assert len(epochs) == reg.n_iter_ == 15
    assert epochs["r2"].iloc[-1] == pytest.approx(reg.score(X, y))
    # L-BFGS decreases the loss at every accepted iteration
    assert (
        epochs["neg_mean_squared_error"].iloc[-1]
        > (epochs["neg_mean_squared_error"].iloc[0])
    )


def test_scoring_monitor_scores_with_the_fit_sample_weight(data):
    X, y = data
    weights = np.where(y == 1, 3.0, 0.5)
    monitor = ScoringMonitor(scoring="accuracy")
    clf = classifier().set_callbacks(monitor).fit(X, y, sample_weight=weights)
    _, fits = epoch_rows(monitor)
    weighted = clf.score(X, y, sample_weight=weights)
    assert fits["accuracy"].iloc[0] == pytest.approx(weighted)


def test_scoring_monitor_logs_one_run_per_partial_fit_call(data):
    X, y = data
    monitor = ScoringMonitor(scoring="accuracy")
    clf = classifier().set_callbacks(monitor)
    for _ in range(3):
        clf.partial_fit(X, y, classes=[0, 1])
    logs = monitor.get_logs(select="all")
    assert len(logs) == 3
    for log in logs:
        assert [row["task_name"] for row in log.data] == ["fit", "epoch"]


def test_scoring_monitor_inside_a_pipeline(data):
    X, y = data
    monitor = ScoringMonitor(scoring="accuracy")
    pipe = make_pipeline(StandardScaler(), classifier().set_callbacks(monitor))
    pipe.fit(X, y)
    log = monitor.get_logs()
    assert log.estimator_name == "Pipeline"
    epochs, fits = epoch_rows(monitor)
    assert len(epochs) == pipe[-1].n_iter_ == EPOCHS
    # the estimator's tree hangs under the pipeline's final-estimator step
    assert list(fits["task_id_path"]) == [(0, 1)]
    assert all(path[:2] == (0, 1) and len(path) == 3 for path in epochs["task_id_path"])
    # scored on the data the estimator saw, i.e. after the scaler
    assert fits["accuracy"].iloc[0] == pytest.approx(pipe.score(X, y))


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_scoring_monitor_inside_grid_search(data, n_jobs):
    X, y = data
    monitor = ScoringMonitor(scoring="accuracy")
    search = GridSearchCV(
        classifier().set_callbacks(monitor),
        {"learning_rate": [0.01, 0.1]},
        cv=2,
        n_jobs=n_jobs,
    ).fit(X, y)
    log = monitor.get_logs()
    assert log.estimator_name == "GridSearchCV"
    epochs, fits = epoch_rows(monitor)
    n_fits = 2 * 2 + 1  # candidates × splits, plus the refit
    assert len(fits) == n_fits
    assert len(epochs) == n_fits * EPOCHS
    # the refit is the one fit directly under the search's root task
    refit = fits[fits["task_id_path"].map(len) == 2]
    assert len(refit) == 1
    assert refit["accuracy"].iloc[0] == pytest.approx(search.score(X, y))


# -- ProgressBar (needs rich) ----------------------------------------------------------
def test_progress_bar_on_the_estimator(data, capsys):
    X, y = data
    reg = regressor().set_callbacks(ProgressBar()).fit(X, y.astype(float))
    clf = classifier(solver="lbfgs").set_callbacks(ProgressBar()).fit(X, y)
    mlp = regressor(BackpropMLPRegressor).set_callbacks(ProgressBar())
    mlp.fit(X, y.astype(float))
    out = capsys.readouterr().out
    assert "BackpropMLPRegressor - fit" in out and mlp.n_iter_ == EPOCHS
    assert "TwoLayerSigmoidRegressor - fit" in out
    assert "SoftmaxMLPClassifier - fit" in out
    assert "100%" in out
    assert reg.n_iter_ == EPOCHS and clf.n_iter_ >= 1


def test_progress_bar_propagates_through_pipeline_and_grid_search(data, capsys):
    X, y = data
    pipe = make_pipeline(StandardScaler(), classifier())
    pipe.set_callbacks(ProgressBar(max_propagation_depth=None)).fit(X, y)
    search = GridSearchCV(classifier(), {"alpha": [1e-4, 1.0]}, cv=2, n_jobs=2)
    search.set_callbacks(ProgressBar(max_propagation_depth=None)).fit(X, y)
    out = capsys.readouterr().out
    assert "Pipeline - fit-final-estimator | SoftmaxMLPClassifier - fit" in out
    assert "GridSearchCV - refit-with-best-params | SoftmaxMLPClassifier" in out
    assert pipe[-1].n_iter_ == EPOCHS
    assert search.best_estimator_.n_iter_ == EPOCHS


# -- stopping and the per-epoch models -----------------------------------------------
@pytest.mark.parametrize("solver", ["gd", "sgd", "adam", "lbfgs"])
def test_callback_returning_true_stops_training(data, solver):
    X, y = data
    recorder = Recorder(stop_after=3)
    clf = classifier(solver=solver, max_iter=50, tol=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf.set_callbacks(recorder).fit(X, y)
    assert clf.n_iter_ == 3
    assert len(clf.loss_curve_) == 3
    assert len(recorder.epoch_models) == 3
    assert_allclose(clf.predict_proba(X), recorder.epoch_models[-1].predict_proba(X))


def test_callback_stop_with_early_stopping_restores_the_best_weights(data):
    X, y = data
    recorder = Recorder(stop_after=8)
    clf = classifier(
        solver="sgd", learning_rate=0.5, max_iter=50, tol=0.0, early_stopping=True
    )
    clf.set_callbacks(recorder).fit(X, y)
    assert clf.n_iter_ == 8
    best = int(np.argmax(clf.validation_scores_))
    assert best < 7  # the last epoch was not the best: weights went back
    best_model = recorder.epoch_models[best]
    assert_allclose(clf.predict_proba(X), best_model.predict_proba(X))


def test_hooks_are_called_in_order_once_per_epoch(data):
    X, y = data
    recorder = Recorder()
    classifier(max_iter=2).set_callbacks(recorder).fit(X, y)
    assert recorder.events == [
        "setup",
        "begin fit",
        "begin epoch",
        "end epoch",
        "begin epoch",
        "end epoch",
        "end fit",
        "teardown",
    ]


def test_epoch_snapshots_equal_fits_stopped_at_that_epoch(data):
    X, y = data
    recorder = Recorder()
    regressor(solver="gd", learning_rate=0.5).set_callbacks(recorder).fit(X, y)
    for k, snapshot in enumerate(recorder.epoch_models, start=1):
        stopped = regressor(solver="gd", learning_rate=0.5, max_iter=k).fit(X, y)
        assert_allclose(snapshot.predict(X), stopped.predict(X), rtol=1e-12)
        assert_array_equal(snapshot.coefs_[0], stopped.coefs_[0])


def test_callbacks_are_torn_down_when_fit_fails(data):
    X, y = data
    recorder = Recorder()
    reg = regressor(solver="gd", learning_rate=1e12, max_iter=50, n_iter_no_change=50)
    reg.set_callbacks(recorder)
    with pytest.raises(ValueError, match="learning_rate"):
        reg.fit(X, y * 1e3)
    assert recorder.events[0] == "setup"
    assert recorder.events[-1] == "teardown"
    assert not hasattr(reg, "n_iter_")
    assert not hasattr(reg, "_callback_fit_ctx")


# -- verbose ------------------------------------------------------------------------
LINE = r"Iteration (\d+), loss = \d+\.\d{8}, elapsed = \d+\.\d\ds"
LINE_WITH_VALIDATION = (
    r"Iteration (\d+), loss = \d+\.\d{8}, validation score = -?\d+\.\d{8}, "
    r"elapsed = \d+\.\d\ds"
)


@pytest.mark.parametrize("solver", ["gd", "adam", "lbfgs"])
def test_verbose_prints_one_line_per_epoch(data, capsys, solver):
    X, y = data
    clf = classifier(solver=solver, verbose=1).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == clf.n_iter_
    numbers = [int(re.fullmatch(LINE, line).group(1)) for line in lines]
    assert numbers == list(range(1, clf.n_iter_ + 1))


def test_verbose_with_early_stopping_prints_the_validation_score(data, capsys):
    X, y = data
    reg = regressor(verbose=1, early_stopping=True).fit(X, y.astype(float))
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == reg.n_iter_ == len(reg.validation_scores_)
    for line, score in zip(lines, reg.validation_scores_, strict=True):
        match = re.fullmatch(LINE_WITH_VALIDATION, line)
        assert match is not None, line
        assert f"validation score = {score:.8f}" in line


def test_verbose_zero_prints_nothing(data, capsys):
    X, y = data
    classifier().fit(X, y)
    assert capsys.readouterr().out == ""
