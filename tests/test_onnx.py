"""ONNX export: onnxruntime reproduces every estimator's outputs within 1e-5, for
every built-in activation, both dtypes, binary, multiclass and multilabel, in a
Pipeline too; a float64 classifier runs with the default options."""

import subprocess
import sys

import numpy as np
import onnxruntime
import pytest
import skl2onnx
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skbackprop import (
    Activation,
    BackpropMLPClassifier,
    BackpropMLPRegressor,
    SoftmaxMLPClassifier,
    TwoLayerSigmoidRegressor,
)
from skbackprop.onnx import to_onnx

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

ACTIVATIONS = (
    "identity",
    "sigmoid",
    "logistic",
    "tanh",
    "relu",
    "leaky_relu",
    "elu",
    "softplus",
    "gelu",
    "silu",
)
DTYPES = (np.float32, np.float64)
RNG = np.random.RandomState(0)
X = 2.0 * RNG.randn(80, 4)
LABELS = {
    "binary": np.where(X[:, 0] + X[:, 1] > 0, "yes", "no"),
    "multiclass": np.digitize(X[:, 0] - X[:, 2], [-1.0, 0.0, 1.0]) * 10 + 3,
}
MULTILABEL = np.c_[X[:, 0] > 0, X[:, 1] - X[:, 3] > 0.5, X[:, 2] < 1].astype(int)
CLASSIFIERS = (SoftmaxMLPClassifier, BackpropMLPClassifier)
TOL = {"rtol": 1e-5, "atol": 1e-5}


def run(onnx_model, X):
    session = onnxruntime.InferenceSession(
        onnx_model.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    return session.run(None, {session.get_inputs()[0].name: X})


def output_names(onnx_model):
    return [output.name for output in onnx_model.graph.output]


@pytest.mark.parametrize("cls", CLASSIFIERS)
@pytest.mark.parametrize("problem", LABELS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_classifier_exports_labels_and_probabilities(activation, dtype, problem, cls):
    Xd, y = X.astype(dtype), LABELS[problem]
    clf = cls(
        hidden_layer_sizes=(8, 6), activation=activation, max_iter=60, random_state=0
    ).fit(Xd, y)
    onnx_model = to_onnx(clf, Xd[:1], options={"zipmap": False})
    label, probabilities = run(onnx_model, Xd)
    assert output_names(onnx_model) == ["label", "probabilities"]
    assert probabilities.dtype == dtype
    assert probabilities.shape == (len(X), len(clf.classes_))
    assert_allclose(probabilities, clf.predict_proba(Xd), **TOL)
    assert_array_equal(label, clf.predict(Xd))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("activation", ["logistic", "relu", "gelu"])
def test_multilabel_exports_an_indicator_label_and_probabilities(activation, dtype):
    Xd = X.astype(dtype)
    clf = BackpropMLPClassifier(
        hidden_layer_sizes=(8,), activation=activation, max_iter=60, random_state=0
    ).fit(Xd, MULTILABEL)
    onnx_model = to_onnx(clf, Xd[:1])  # default options: no ZipMap for a matrix
    label, probabilities = run(onnx_model, Xd)
    assert output_names(onnx_model) == ["label", "probabilities"]
    assert probabilities.dtype == dtype and probabilities.shape == (len(X), 3)
    assert_allclose(probabilities, clf.predict_proba(Xd), **TOL)
    assert label.dtype == np.int64
    assert_array_equal(label, clf.predict(Xd))


@pytest.mark.parametrize("cls", CLASSIFIERS)
@pytest.mark.parametrize("problem", LABELS)
def test_float64_classifier_runs_under_onnxruntime_with_default_options(cls, problem):
    """onnxruntime's ZipMap has no double kernel: skl2onnx's own MLPClassifier
    export of a float64 model does not load; ours leaves the ZipMap out."""
    y = LABELS[problem]
    clf = cls(hidden_layer_sizes=(6,), max_iter=30, random_state=0).fit(X, y)
    onnx_model = to_onnx(clf, X[:1])
    label, probabilities = run(onnx_model, X)
    assert probabilities.dtype == np.float64
    assert_allclose(probabilities, clf.predict_proba(X), **TOL)
    assert_array_equal(label, clf.predict(X))
    theirs = MLPClassifier(hidden_layer_sizes=(6,), max_iter=30).fit(X, y)
    with pytest.raises(Exception, match="ZipMap"):
        run(skl2onnx.to_onnx(theirs, X[:1]), X)


@pytest.mark.parametrize(
    "X_sample, y",
    [(X[:1], LABELS["binary"]), (X[:1].astype(np.float32), MULTILABEL)],
)
def test_a_zipmap_that_would_not_run_is_left_out(X_sample, y):
    clf = BackpropMLPClassifier(hidden_layer_sizes=(4,), max_iter=5).fit(X, y)
    onnx_model = to_onnx(clf, X_sample, options={"zipmap": True})
    X_run = X.astype(X_sample.dtype)
    _, probabilities = run(onnx_model, X_run)
    assert_allclose(probabilities, clf.predict_proba(X_run), **TOL)


def test_classifier_outputs_are_those_of_sklearns_mlp_classifier():
    y = LABELS["multiclass"]
    ours = SoftmaxMLPClassifier(hidden_layer_sizes=(5,), max_iter=20).fit(X, y)
    theirs = MLPClassifier(hidden_layer_sizes=(5,), max_iter=20).fit(X, y)
    sample = X[:1].astype(np.float32)
    ours_onnx, theirs_onnx = to_onnx(ours, sample), skl2onnx.to_onnx(theirs, sample)
    assert output_names(ours_onnx) == output_names(theirs_onnx)
    for mine, reference in zip(
        ours_onnx.graph.output, theirs_onnx.graph.output, strict=True
    ):
        assert mine.type.WhichOneof("value") == reference.type.WhichOneof("value")
    # with the default ZipMap, one {label: probability} dict per row
    label, rows = run(ours_onnx, X.astype(np.float32))
    assert_array_equal(label, ours.predict(X))
    zipped = np.array([[row[c] for c in ours.classes_] for row in rows])
    assert_allclose(zipped, ours.predict_proba(X), **TOL)


def test_classifier_nocl_option_outputs_label_indices():
    clf = SoftmaxMLPClassifier(hidden_layer_sizes=(5,), max_iter=20).fit(
        X, LABELS["binary"]
    )
    sample = X[:1].astype(np.float32)
    onnx_model = to_onnx(clf, sample, options={"zipmap": False, "nocl": True})
    label, _ = run(onnx_model, X.astype(np.float32))
    assert_array_equal(clf.classes_[label], clf.predict(X))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_mlp_regressor_exports_its_predictions(activation, loss, dtype):
    Xd = X.astype(dtype)
    y = np.exp(0.3 * X[:, 0]) if loss == "poisson" else X[:, 0] - X[:, 1] ** 2
    reg = BackpropMLPRegressor(
        hidden_layer_sizes=(8, 6),
        activation=activation,
        loss=loss,
        max_iter=60,
        random_state=0,
    ).fit(Xd, y)
    onnx_model = to_onnx(reg, Xd[:1])
    (predictions,) = run(onnx_model, Xd)
    assert output_names(onnx_model) == ["variable"]
    assert predictions.dtype == dtype and predictions.shape == (len(X), 1)
    assert_allclose(predictions[:, 0], reg.predict(Xd), **TOL)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("output_activation", ["identity", "sigmoid"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_two_layer_regressor_exports_multi_output_predictions(
    output_activation, fit_intercept, dtype
):
    Xd = X.astype(dtype)
    Y = 1 / (1 + np.exp(-np.c_[X[:, 0], X[:, 1] - X[:, 2]]))
    reg = TwoLayerSigmoidRegressor(
        hidden_size=7,
        output_activation=output_activation,
        fit_intercept=fit_intercept,
        max_iter=60,
        random_state=0,
    ).fit(Xd, Y)
    (predictions,) = run(to_onnx(reg, Xd[:1]), Xd)
    assert predictions.shape == (len(X), 2)
    assert_allclose(predictions, reg.predict(Xd), **TOL)


@pytest.mark.parametrize("cls", CLASSIFIERS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_pipeline_with_a_scaler_exports_through_skl2onnx(dtype, cls):
    import skbackprop.onnx  # noqa: F401  (registers the converters)

    X_raw = (100 * X + 7).astype(dtype)
    pipe = make_pipeline(StandardScaler(), cls(random_state=0))
    pipe.fit(X_raw, LABELS["multiclass"])
    options = {"zipmap": False} if dtype == np.float32 else None  # float64: default
    onnx_model = skl2onnx.to_onnx(pipe, X_raw[:1], options=options)
    label, probabilities = run(onnx_model, X_raw)
    assert_allclose(probabilities, pipe.predict_proba(X_raw), **TOL)
    assert_array_equal(label, pipe.predict(X_raw))


def cube(a):
    return a**3 + a


def cube_derivative(a, z):
    return 3 * a**2 + 1


def test_a_custom_activation_cannot_be_exported():
    custom = Activation(cube, cube_derivative, name="cube")
    reg = BackpropMLPRegressor(hidden_layer_sizes=(4,), activation=custom)
    reg.fit(X / 10, X[:, 0] / 10)
    sample = X[:1].astype(np.float32)
    with pytest.raises(ValueError, match="Cannot export.*Activation.*built-in"):
        to_onnx(reg, sample)
    with pytest.raises(ValueError, match="Cannot export.*Activation.*built-in"):
        skl2onnx.to_onnx(make_pipeline(StandardScaler(), reg).fit(X, X[:, 0]), sample)


def test_importing_skbackprop_does_not_import_skl2onnx():
    code = (
        "import sys, skbackprop; "
        "assert not {'skl2onnx', 'onnx', 'onnxruntime', 'skops'} & set(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
