"""Random call sequences against SPEC §3's promises.

Hypothesis draws hyper-parameters (valid and invalid), input types (lists,
float32/float64 arrays, sparse matrices, sample weights with zeros) and a sequence
of fit / partial_fit / set_params / loss_and_gradients / check_gradients / pickle
calls. After every call one of three oracles holds:

- success: every parameter and output is finite;
- a documented error (``ValueError`` incl. ``InvalidParameterError``, ``TypeError``,
  ``AttributeError`` for lbfgs's missing ``partial_fit``, ``NotFittedError``) whose
  message names the argument at fault — and the estimator's learned state and a
  ``RandomState`` passed as ``random_state`` are exactly as before the call;
- nothing else is raised.
"""

import pickle
import re

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.exceptions import NotFittedError

from skbackprop import SoftmaxMLPClassifier, TwoLayerSigmoidRegressor, check_gradients

pytestmark = [
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
    pytest.mark.filterwarnings("error::RuntimeWarning"),
]

BOUNDED = settings(
    max_examples=40,
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
}
# The words a message must contain for an error about each parameter or argument.
NAMES = set(SHARED) | set(KIND["classifier"]) | set(KIND["regressor"])
ARGUMENTS = {"sample_weight", "classes", "eps", "random_state", "X", "y"}
# scikit-learn's own sample-weight messages say "Sample weights".
NAMED = re.compile(
    "|".join(rf"\b{re.escape(n)}\b" for n in sorted(NAMES | ARGUMENTS))
    + r"|(?i:\bsample weights\b)"
)


@st.composite
def cases(draw):
    kind = draw(st.sampled_from(["regressor", "classifier"]))
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
                st.sampled_from([None, "ones", "zeros_some", "zeros_all", "huge"]),
                st.sampled_from([[0, 1], None, [], [[0, 1]], [0]]),
                st.sampled_from([1e-6, 0.0, -1.0]),
            ),
            min_size=1,
            max_size=5,
        )
    )
    return kind, params, X, y, calls, seed


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
    elif how == "zeros_all":
        w[:] = 0.0
    elif how == "huge":
        w[:] = 1e300
    return w


def learned(est):
    params = est.get_params(deep=False)
    return pickle.dumps({k: v for k, v in vars(est).items() if k not in params})


def assert_finite(est, X):
    for p in est.coefs_ + est.intercepts_:
        assert np.isfinite(p).all()
    out = (
        est.predict_proba(X)
        if isinstance(est, SoftmaxMLPClassifier)
        else est.predict(X)
    )
    assert np.isfinite(out).all()


def call(est, method, X, y, w, classes, eps):
    if method == "fit":
        return est.fit(X, y, sample_weight=w)
    if method == "partial_fit":
        if isinstance(est, SoftmaxMLPClassifier):
            return est.partial_fit(X, y, sample_weight=w, classes=classes)
        return est.partial_fit(X, y, sample_weight=w)
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
    kind, params, X, y, calls, seed = case
    rs = np.random.RandomState(seed)
    make = SoftmaxMLPClassifier if kind == "classifier" else TwoLayerSigmoidRegressor
    est = make(random_state=rs, **params)
    invalid = set()  # the hyper-parameters that hold an invalid value
    for method, (name, value, bad), x_how, w_how, classes, eps in calls:
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
        if isinstance(est, TwoLayerSigmoidRegressor) and method == "partial_fit":
            classes = None  # the regressor takes no classes=
        try:
            call(est, method, X_in, y, w, classes, eps)
        except (ValueError, TypeError, AttributeError, NotFittedError) as error:
            message = str(error)
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
