"""backprop_trace: each quantity against an independent forward pass and the deltas
of SPEC §1, its gradients against loss_and_gradients, its tables and labels."""

import re
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import expit, ndtr

from skbackprop import (
    BackpropMLPClassifier,
    BackpropMLPRegressor,
    BackpropTrace,
    LayerTrace,
    SoftmaxMLPClassifier,
    TwoLayerSigmoidRegressor,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
DOC = Path(__file__).resolve().parents[1] / "docs" / "derivations.md"

# g and g', written here from their definitions, not taken from the package
PAIRS = {
    "identity": (lambda a: a, lambda a: np.ones_like(a)),
    "sigmoid": (expit, lambda a: expit(a) * (1 - expit(a))),
    "tanh": (np.tanh, lambda a: 1 - np.tanh(a) ** 2),
    "relu": (lambda a: np.maximum(a, 0), lambda a: (a > 0).astype(float)),
    "leaky_relu": (
        lambda a: np.where(a > 0, a, 0.01 * a),
        lambda a: np.where(a > 0, 1.0, 0.01),
    ),
    "elu": (
        lambda a: np.where(a > 0, a, np.expm1(np.minimum(a, 0))),
        lambda a: np.where(a > 0, 1.0, np.exp(np.minimum(a, 0))),
    ),
    "softplus": (lambda a: np.logaddexp(0, a), expit),
    "gelu": (
        lambda a: a * ndtr(a),
        lambda a: ndtr(a) + a * np.exp(-(a**2) / 2) / np.sqrt(2 * np.pi),
    ),
    "silu": (lambda a: a * expit(a), lambda a: expit(a) + a * expit(a) * expit(-a)),
}
OUTPUTS = {"identity": lambda a: a, "sigmoid": expit, "exp": np.exp}


def softmax(a):
    e = np.exp(a - a.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def reference(est, X, y, w):
    """a_k, h_k, δ_k and the gradients from SPEC §1, in plain numpy."""
    W, b = est.coefs_, est.intercepts_
    hidden = est.activation if hasattr(est, "activation") else "sigmoid"
    g, g_prime = PAIRS[{"logistic": "sigmoid"}.get(hidden, hidden)]
    n_layers = len(W)
    a, h = [], []
    prev = X
    for k in range(n_layers):
        a.append(prev @ W[k] + b[k])
        prev = g(a[k]) if k < n_layers - 1 else None
        h.append(prev)
        prev = h[k] if k < n_layers - 1 else prev
    weights = np.ones(len(X)) if w is None else w
    n = weights.sum()
    scale = (weights / n)[:, None]
    out = est.out_activation_
    if out == "logistic" and isinstance(est, BackpropMLPClassifier):
        h[-1] = expit(a[-1])  # one unit per label, or one for two classes
        if est._y_kind_ == "multilabel":
            target = np.asarray(y, float)
        else:
            target = (np.asarray(y) == est.classes_[1])[:, None].astype(float)
        delta = (h[-1] - target) * scale  # (E37)
    elif out == "softmax":
        h[-1] = softmax(a[-1])
        onehot = (est.classes_[None, :] == np.asarray(y)[:, None]).astype(float)
        delta = (h[-1] - onehot) * scale  # (E11)
    else:
        h[-1] = OUTPUTS[{"logistic": "sigmoid"}.get(out, out)](a[-1])
        residual = h[-1] - np.asarray(y, float).reshape(len(X), -1)
        slope = h[-1] * (1 - h[-1]) if out == "logistic" else 1.0  # (E3) / (E7)
        delta = residual * slope * scale  # exp: (E35)
        if isinstance(est, BackpropMLPRegressor) and out == "identity":
            delta /= residual.shape[1]  # averaged over the outputs (E38)
    deltas = [None] * n_layers
    deltas[-1] = delta
    for k in range(n_layers - 1, 0, -1):
        deltas[k - 1] = (deltas[k] @ W[k].T) * g_prime(a[k - 1])  # (E13)
    inputs = [X, *h[:-1]]
    coef_grads = [
        inputs[k].T @ deltas[k] + est.alpha / n * W[k] for k in range(n_layers)
    ]
    intercept_grads = [d.sum(axis=0) for d in deltas]
    if getattr(est, "fit_intercept", True) is False:
        intercept_grads = [np.zeros_like(g) for g in intercept_grads]
    return a, h, deltas, coef_grads, intercept_grads


def data(n_outputs=1, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(12, 4))
    Y = rng.uniform(0.1, 0.9, size=(12, n_outputs))
    return X, Y


def cases():
    for act in PAIRS:
        yield SoftmaxMLPClassifier(hidden_layer_sizes=(5, 3), activation=act), "cls"
        yield BackpropMLPRegressor(hidden_layer_sizes=(5, 3), activation=act), "reg"
    yield BackpropMLPRegressor(hidden_layer_sizes=(5, 1), activation="tanh"), "reg"
    yield BackpropMLPRegressor(hidden_layer_sizes=(4,), loss="poisson"), "count"
    yield BackpropMLPRegressor(hidden_layer_sizes=(4,), activation="elu"), "reg2"
    for act in PAIRS:
        yield BackpropMLPClassifier(hidden_layer_sizes=(5, 3), activation=act), "bin"
    yield BackpropMLPClassifier(hidden_layer_sizes=(5, 1), activation="silu"), "cls"
    yield BackpropMLPClassifier(hidden_layer_sizes=(4,), activation="tanh"), "ml"
    for output in ("identity", "sigmoid"):
        for fit_intercept in (True, False):
            two = TwoLayerSigmoidRegressor(
                hidden_size=3, output_activation=output, fit_intercept=fit_intercept
            )
            yield two, "reg"
    yield TwoLayerSigmoidRegressor(hidden_size=3), "reg2"


CASES = list(cases())


def fitted(est, kind, alpha=1e-2):
    X, Y = data({"reg2": 2, "ml": 3}.get(kind, 1))
    y = Y[:, 0] if kind not in ("reg2", "ml") else Y
    if kind == "cls":
        y = np.array(["a", "b", "c"])[np.arange(12) % 3]
    elif kind == "bin":
        y = np.array(["a", "b"])[np.arange(12) % 2]
    elif kind == "ml":
        y = (Y > 0.5).astype(int)
    elif kind == "count":
        y = np.arange(12) % 4
    est.set_params(alpha=alpha, max_iter=3, random_state=0, learning_rate=0.05)
    return est.fit(X, y), X, y


def case_id(case):
    est, _ = case
    params = est.get_params()
    return (
        "-".join(
            str(params.get(p))
            for p in ("activation", "output_activation", "fit_intercept", "loss")
            if p in params
        )
        + f"-{type(est).__name__}"
        + f"-{case[1]}"
    )


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_each_trace_quantity_matches_an_independent_forward_and_backward_pass(
    case, weighted
):
    est, X, y = fitted(*case)
    w = np.linspace(0.5, 2.0, len(X)) if weighted else None
    trace = est.backprop_trace(X, y, sample_weight=w)
    a, h, deltas, coef_grads, intercept_grads = reference(est, X, y, w)
    assert [record.layer for record in trace.layers] == list(range(1, len(a) + 1))
    for k, record in enumerate(trace.layers):
        assert_allclose(record.a, a[k], rtol=1e-10, atol=1e-12)
        assert_allclose(record.h, h[k], rtol=1e-10, atol=1e-12)
        assert_allclose(record.delta, deltas[k], rtol=1e-9, atol=1e-14)
        assert_allclose(record.coef_grad, coef_grads[k], rtol=1e-9, atol=1e-14)
        assert_allclose(record.intercept_grad, intercept_grads[k], atol=1e-14)


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_trace_gradients_are_loss_and_gradients_bit_for_bit(case):
    est, X, y = fitted(*case)
    w = np.linspace(0.5, 2.0, len(X))
    loss, coef_grads, intercept_grads = est.loss_and_gradients(X, y, w)
    trace = est.backprop_trace(X, y, w)
    assert trace.loss == loss
    for record, coef, intercept in zip(
        trace.layers, coef_grads, intercept_grads, strict=True
    ):
        assert_array_equal(record.coef_grad, coef)
        assert_array_equal(record.intercept_grad, intercept)


def test_trace_of_float32_and_sparse_input_is_loss_and_gradients():
    est, X, y = fitted(SoftmaxMLPClassifier(hidden_layer_sizes=(5,)), "cls")
    est.fit(X.astype(np.float32), y)
    for X_in in (X.astype(np.float32), sp.csr_matrix(X.astype(np.float32))):
        _, coef_grads, _ = est.loss_and_gradients(X_in, y)
        trace = est.backprop_trace(X_in, y)
        assert trace.layers[0].a.dtype == np.float32
        for record, coef in zip(trace.layers, coef_grads, strict=True):
            assert_array_equal(record.coef_grad, coef)


def test_backprop_trace_changes_nothing_on_the_estimator():
    est, X, y = fitted(BackpropMLPRegressor(hidden_layer_sizes=(5, 3)), "reg")
    before = {k: v for k, v in vars(est).items() if k != "_params"}
    flat = est._params.flat.copy()
    est.backprop_trace(X, y)
    assert_array_equal(est._params.flat, flat)
    assert set(vars(est)) == set(before) | {"_params"}


def test_backprop_trace_validates_like_loss_and_gradients():
    est = SoftmaxMLPClassifier()
    with pytest.raises(Exception, match="not fitted"):
        est.backprop_trace(np.ones((2, 3)), [0, 1])
    est, X, y = fitted(SoftmaxMLPClassifier(hidden_layer_sizes=(5,)), "cls")
    with pytest.raises(ValueError, match="features"):
        est.backprop_trace(X[:, :2], y)
    with pytest.raises(ValueError, match="NaN"):
        est.backprop_trace(np.full_like(X, np.nan), y)


def test_str_shows_every_layer_with_its_equations_and_html_the_same():
    est, X, y = fitted(SoftmaxMLPClassifier(hidden_layer_sizes=(5, 3)), "cls")
    trace = est.backprop_trace(X[:5], y[:5])
    assert isinstance(trace, BackpropTrace)
    assert all(isinstance(record, LayerTrace) for record in trace.layers)
    text = str(trace)
    lines = text.splitlines()
    assert "SoftmaxMLPClassifier" in lines[0] and "E10" in lines[0]
    for k, record in enumerate(trace.layers, start=1):
        row = next(line for line in lines if line.startswith(f"{k} "))
        assert "×".join(map(str, record.a.shape)) in row
        assert f"{np.linalg.norm(record.coef_grad):.3e}" in row
        for labels in record.equations.values():
            for label in labels:
                assert label in row
    assert "δ E11" in text and "δ E13" in text and "∇W E14,E18" in text
    html = trace._repr_html_()
    assert html.startswith("<table>") and html.count("<tr>") == 1 + len(trace.layers)
    assert "E11" in html


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_every_trace_label_is_an_equation_of_the_derivations(case):
    defined = set(re.findall(r"\\text\{\((E\d+)\)\}", DOC.read_text("utf-8")))
    est, X, y = fitted(*case)
    trace = est.backprop_trace(X, y, np.ones(len(X)))
    used = set(trace.loss_equations)
    for record in trace.layers:
        assert set(record.equations) == {
            "a",
            "h",
            "delta",
            "coef_grad",
            "intercept_grad",
        }
        used |= {label for labels in record.equations.values() for label in labels}
    assert used <= defined


def test_seed_network_trace_names_the_seed_sections_equations():
    est = TwoLayerSigmoidRegressor(
        hidden_size=3, output_activation="sigmoid", fit_intercept=False, alpha=0.0
    )
    est, X, y = fitted(est, "reg", alpha=0.0)
    hidden, output = est.backprop_trace(X, y).layers
    assert output.equations["delta"] == ("E3",)
    assert output.equations["coef_grad"] == ("E4", "E14")
    assert hidden.equations["delta"][:2] == ("E5", "E13")
    assert hidden.equations["coef_grad"] == ("E6", "E14")
    assert hidden.equations["intercept_grad"] == ()
