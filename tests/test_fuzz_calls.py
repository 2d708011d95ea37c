"""Random call sequences against SPEC §3's promises.

Hypothesis draws hyper-parameters (valid and invalid), input types (lists,
float32/float64 arrays, sparse matrices, sample weights with zeros) and a sequence
of fit / partial_fit / set_params / loss_and_gradients / check_gradients / pickle
calls, over the three estimators of 0.2 with its surface: every built-in
activation and a user's ``Activation``, the Poisson loss, the learning-rate
schedules, validation data (``X_val``/``y_val``, sometimes a single row or of the
wrong width) and a ``GradientMonitor`` attached to some estimators. After every
call one of three oracles holds:

- success: every parameter and output is finite (and so is every gradient norm
  the monitor recorded);
- a documented error (``ValueError`` incl. ``InvalidParameterError``, ``TypeError``,
  ``AttributeError`` for lbfgs's missing ``partial_fit``, ``NotFittedError``) whose
  message names the argument at fault — and the estimator's learned state and a
  ``RandomState`` passed as ``random_state`` are exactly as before the call;
- nothing else is raised, and a call that fails with the monitor attached fails
  without it too (the monitor only reads the model).
"""

import copy
import pickle
import re

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.exceptions import NotFittedError

from skbackprop import (
    Activation,
    BackpropMLPRegressor,
    SoftmaxMLPClassifier,
    TwoLayerSigmoidRegressor,
    check_gradients,
)
from skbackprop._activations import ACTIVATIONS
from skbackprop.callbacks import GradientMonitor

pytestmark = [
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.UndefinedMetricWarning"),
    pytest.mark.filterwarnings("ignore::skbackprop.ValidationScaleWarning"),
    pytest.mark.filterwarnings("ignore:The validation score:UserWarning"),
    pytest.mark.filterwarnings("error::RuntimeWarning"),
]


def bent_identity(a):
    return (np.sqrt(a * a + 1.0) - 1.0) / 2.0 + a


def bent_identity_derivative(a, z):
    return a / (2.0 * np.sqrt(a * a + 1.0)) + 1.0


BENT = Activation(bent_identity, bent_identity_derivative, name="bent")
ACTIVATION_CHOICES = ([*sorted(ACTIVATIONS), BENT], ["swish"])

BOUNDED = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# (valid values, invalid values) per hyper-parameter.
SHARED = {
    "solver": (["gd", "sgd", "adam", "lbfgs"], ["newton"]),
    "learning_rate": ([1e-2, 0.5], [-0.1, 0.0, np.nan]),
    "batch_size": (["auto", 1, 3], [0, "big"]),
    "max_iter": ([1, 3], [0]),
    "alpha": ([0.0, 1e-3], [-1.0, np.nan]),
    "momentum": ([0.0, 0.9], [5.0]),
    "beta_1": ([0.9], [1.0]),
    "early_stopping": ([False, True], []),
    "validation_fraction": ([0.1, 0.5], [1.0]),
    "shuffle": ([True, False], []),
    "learning_rate_schedule": (
        ["constant", "invscaling", "adaptive", "cosine"],
        ["optimal"],
    ),
    "nesterovs_momentum": ([True, False], []),
    "scoring": ([None, "loss"], ["no_such_scorer"]),
}
KIND = {
    "classifier": {
        "class_weight": (
            [None, "balanced", {0: 1.0, 1: 0.0}],
            [{0: np.nan, 1: 1.0}, {0: -1.0, 1: 1.0}, "bal"],
        ),
        "hidden_layer_sizes": ([2, (2, 2)], [0]),
    },
    "regressor": {
        "hidden_size": ([2], [0]),
        "output_activation": (["identity", "sigmoid"], []),
    },
    "mlp_regressor": {
        "hidden_layer_sizes": ([2, (2, 2)], [0]),
        "activation": ACTIVATION_CHOICES,
        "loss": (["squared_error", "poisson"], ["huber"]),
    },
}
KIND["classifier"]["activation"] = ACTIVATION_CHOICES
ESTIMATORS = {
    "classifier": SoftmaxMLPClassifier,
    "regressor": TwoLayerSigmoidRegressor,
    "mlp_regressor": BackpropMLPRegressor,
}
# The words a message must contain for an error about each parameter or argument.
NAMES = set(SHARED).union(*KIND.values())
ARGUMENTS = {"sample_weight", "classes", "eps", "random_state", "X", "y"}
ARGUMENTS |= {"X_val", "y_val"}
# scikit-learn's own sample-weight messages say "Sample weights".
NAMED = re.compile(
    "|".join(rf"\b{re.escape(n)}\b" for n in sorted(NAMES | ARGUMENTS))
    + r"|(?i:\bsample weights\b)"
)


@st.composite
def cases(draw):
    kind = draw(st.sampled_from(sorted(KIND)))
    table = {**SHARED, **KIND[kind]}
    n = draw(st.integers(2, 8))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.RandomState(seed)
    X = rng.randn(n, 2)
    y = (np.arange(n) % 2) if kind == "classifier" else rng.uniform(0, 1, n)
    params = {k: draw(st.sampled_from(valid)) for k, (valid, _) in table.items()}
    changes = st.sampled_from(
        [(k, v, False) for k, (valid, _) in table.items() for v in valid]
        + [(k, v, True) for k, (_, invalid) in table.items() for v in invalid]
    )
    calls = draw(
        st.lists(
            st.tuples(
                st.sampled_from(
                    ["fit", "partial_fit", "set_params", "loss", "check", "pickle"]
                ),
                changes,
                st.sampled_from(["list", "float64", "float32", "csr"]),
                st.sampled_from(
                    [None, "ones", "zeros_some", "zeros_lead", "zeros_all", "huge"]
                ),
                st.sampled_from([[0, 1], None, [], [[0, 1]], [0]]),
                st.sampled_from([1e-6, 0.0, -1.0]),
                st.sampled_from([None, None, "rows", "one_row", "wide"]),
            ),
            min_size=1,
            max_size=5,
        )
    )
    monitor = draw(st.sampled_from([None, None, 1, 3, "all"]))
    return kind, params, X, y, calls, seed, monitor


def validation(X, y, how):
    """X_val, y_val as the call passes them: none, some rows, one row, or X_val
    one feature too wide (refused)."""
    if how is None:
        return {}
    if how == "wide":
        return {"X_val": np.c_[X, X[:, :1]], "y_val": y}
    rows = slice(0, 1) if how == "one_row" else slice(None)
    return {"X_val": X[rows], "y_val": y[rows]}


def must_fail(method, invalid, x_how, w_how, classes, eps):
    """Whether the call is bound to raise: an invalid hyper-parameter, all-zero
    weights, unusable classes=, a bad eps."""
    if method in ("loss", "check", "fit", "partial_fit") and invalid:
        return True
    if w_how == "zeros_all":
        return True
    if method == "partial_fit" and classes in ([], [[0, 1]], [0]):
        return True
    return method == "check" and eps <= 0


def as_input(X, how):
    if how == "list":
        return X.tolist()
    if how == "csr":
        return sp.csr_matrix(X)
    return X.astype(how)


def weights(n, how):
    if how is None:
        return None
    w = np.ones(n)
    if how == "zeros_some":
        w[1::2] = 0.0
    elif how == "zeros_lead":  # the rows a monitor would sample first
        w[: n // 2] = 0.0
    elif how == "zeros_all":
        w[:] = 0.0
    elif how == "huge":
        w[:] = 1e300
    return w


def learned(est):
    """What the estimator learned: everything but its parameters and the cache
    of the parameter values last validated (which a call that fails after
    validating them may keep)."""
    skip = {*est.get_params(deep=False), "_validated_params"}
    return pickle.dumps({k: v for k, v in vars(est).items() if k not in skip})


def assert_finite(est, X):
    for p in est.coefs_ + est.intercepts_:
        assert np.isfinite(p).all()
    out = (
        est.predict_proba(X)
        if isinstance(est, SoftmaxMLPClassifier)
        else est.predict(X)
    )
    assert np.isfinite(out).all()


def call(est, method, X, y, w, classes, eps, val):
    if method == "fit":
        return est.fit(X, y, sample_weight=w, **val)
    if method == "partial_fit":
        if isinstance(est, SoftmaxMLPClassifier):
            return est.partial_fit(X, y, sample_weight=w, classes=classes, **val)
        return est.partial_fit(X, y, sample_weight=w, **val)
    if method == "loss":
        loss, coef_grads, intercept_grads = est.loss_and_gradients(X, y, w)
        assert np.isfinite(loss)
        assert all(np.isfinite(g).all() for g in coef_grads + intercept_grads)
        return None
    report = check_gradients(est, X, y, sample_weight=w, eps=eps)
    assert np.isfinite(report.loss)
    return None


@BOUNDED
@given(cases())
def test_random_call_sequences_keep_the_bad_input_promises(case):
    kind, params, X, y, calls, seed, monitor_samples = case
    rs = np.random.RandomState(seed)
    est = ESTIMATORS[kind](random_state=rs, **params)
    monitor = None
    if monitor_samples is not None:
        max_samples = None if monitor_samples == "all" else monitor_samples
        monitor = GradientMonitor(max_samples=max_samples)
        est.set_callbacks(monitor)
    invalid = set()  # the hyper-parameters that hold an invalid value
    for method, (name, value, bad), x_how, w_how, classes, eps, val_how in calls:
        if method == "set_params":
            est.set_params(**{name: value})
            invalid = (invalid | {name}) if bad else (invalid - {name})
            continue
        if method == "pickle":
            est = pickle.loads(pickle.dumps(est))
            rs = est.random_state
            continue
        X_in, w = as_input(X, x_how), weights(len(y), w_how)
        before, rs_before = learned(est), rs.get_state()
        if not isinstance(est, SoftmaxMLPClassifier) and method == "partial_fit":
            classes = None  # the regressors take no classes=
        val = validation(X.astype(np.float64), y, val_how)
        twin = None  # the estimator without the monitor, which only reads it
        if monitor is not None:
            twin = copy.deepcopy(est)
            twin.__dict__.pop("_skl_callbacks", None)
        try:
            call(est, method, X_in, y, w, classes, eps, val)
        except (ValueError, TypeError, AttributeError, NotFittedError) as error:
            message = str(error)
            if twin is not None:
                with pytest.raises(type(error)):
                    call(twin, method, X_in, y, w, classes, eps, val)
            if isinstance(error, NotFittedError):
                assert "not fitted" in message
            elif isinstance(error, AttributeError):
                assert method == "partial_fit" and est.solver == "lbfgs", message
            else:
                assert NAMED.search(message), message
            assert learned(est) == before, message
            after = rs.get_state()
            assert np.array_equal(after[1], rs_before[1]), message
            assert after[2:] == rs_before[2:], message
        else:
            assert not must_fail(method, invalid, x_how, w_how, classes, eps), (
                f"{method} succeeded with invalid {invalid or (x_how, w_how)}"
            )
            if method in ("fit", "partial_fit"):
                assert_finite(est, X)
                if monitor is not None:
                    norms = [r["grad_norm"] for r in monitor.history]
                    assert np.isfinite(norms).all()
