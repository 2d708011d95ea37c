"""ONNX export through skl2onnx (``pip install "skbackprop[onnx]"``).

Importing this module registers a converter for each estimator, so that
``skl2onnx.to_onnx`` exports them, alone or inside a ``Pipeline``; ``to_onnx`` here
is the same call. The graph is the forward pass of ``_network``:

    a_k = h_{k−1} W_k + b_k,   h_k = g(a_k),   ŷ = g_out(a_L)

computed in the input's float type. A classifier outputs ``label`` and
``probabilities`` as skl2onnx's converter of scikit-learn's ``MLPClassifier`` does:
for float32 input a ZipMap of the probabilities unless ``options={"zipmap":
False}``. For float64 input the probabilities are always a double tensor —
onnxruntime's ZipMap has no double kernel, so skl2onnx's own ``MLPClassifier``
export of a float64 model fails to load — and a multilabel model outputs
``label`` as a 0/1 int64 matrix (n_samples, n_labels) beside its probabilities
(no ZipMap either). A
regressor outputs ``variable``, of shape (n_samples, n_outputs).

Every built-in activation has an ONNX form; a user's ``Activation`` (a Python
function) has none, and exporting it raises a ``ValueError``.
"""

import numpy as np
import skl2onnx
from skl2onnx._parse import _parse_sklearn_classifier
from skl2onnx.common._apply_operation import apply_reshape
from skl2onnx.common.data_types import (
    FloatTensorType,
    Int64TensorType,
    guess_proto_type,
)
from skl2onnx.common.shape_calculator import calculate_linear_classifier_output_shapes
from skl2onnx.proto import onnx_proto

from ._activations import _LOG_MAX, LEAKY_SLOPE
from ._classifier import SoftmaxMLPClassifier
from ._custom_activations import Activation
from ._mlp_classifier import BackpropMLPClassifier
from ._mlp_regressor import BackpropMLPRegressor
from ._regressor import TwoLayerSigmoidRegressor

__all__ = ["to_onnx"]
_FLOAT = onnx_proto.TensorProto.FLOAT


def _check_exportable(estimator):
    activation = estimator._fitted_params().architecture.activation
    if isinstance(activation, Activation):
        raise ValueError(
            f"Cannot export {type(estimator).__name__} with activation "
            f"{activation!r} to ONNX: a user's Activation is a Python function, which "
            "ONNX has no operator for. Train with a built-in activation ('identity', "
            "'sigmoid', 'tanh', 'relu', 'leaky_relu', 'elu', 'softplus', 'gelu' or "
            "'silu') to export the model."
        )


class _Graph:
    """Adds nodes to skl2onnx's container, each output under a fresh name."""

    def __init__(self, scope, container, proto_dtype):
        self.scope, self.container, self.dtype = scope, container, proto_dtype
        self.numpy_dtype = (
            np.float64 if proto_dtype == onnx_proto.TensorProto.DOUBLE else np.float32
        )

    def constant(self, value, name="constant"):
        value = np.asarray(value, dtype=self.numpy_dtype)
        out = self.scope.get_unique_variable_name(name)
        self.container.add_initializer(out, self.dtype, value.shape, value.ravel())
        return out

    def mul(self, x, factor):
        return self.node("Mul", [x, self.constant(factor)])

    def node(self, op, inputs, out=None, **attributes):
        inputs = [inputs] if isinstance(inputs, str) else list(inputs)
        out = out or self.scope.get_unique_variable_name(op.lower())
        name = self.scope.get_unique_operator_name(op)
        self.container.add_node(op, inputs, out, name=name, **attributes)
        return out


def _activation(graph, name, a):
    """g(a) for a built-in hidden activation ``name``.

    onnxruntime has no double kernels for LeakyRelu, Elu, Softplus and Erf: those
    are written with elementary operators, and erf is taken in float32 (error
    ~1e-7) for a double graph.
    """
    simple = {"sigmoid": "Sigmoid", "logistic": "Sigmoid", "tanh": "Tanh"}
    if name == "identity":
        return a
    if name in simple:
        return graph.node(simple[name], a)
    if name == "relu":
        return graph.node("Relu", a)
    if name == "leaky_relu":  # max(a, 0.01a)
        return graph.node("Max", [a, graph.mul(a, LEAKY_SLOPE)])
    if name == "elu":  # max(a, 0) + (e^min(a, 0) − 1)
        below = graph.node("Exp", graph.node("Min", [a, graph.constant(0.0)]))
        below = graph.node("Sub", [below, graph.constant(1.0)])
        return graph.node("Add", [graph.node("Relu", a), below])
    if name == "softplus":  # max(a, 0) + log(1 + e^−|a|), which never overflows
        tail = graph.node("Exp", graph.node("Neg", graph.node("Abs", a)))
        tail = graph.node("Log", graph.node("Add", [tail, graph.constant(1.0)]))
        return graph.node("Add", [graph.node("Relu", a), tail])
    if name == "silu":  # a·σ(a)
        return graph.node("Mul", [a, graph.node("Sigmoid", a)])
    if name == "gelu":  # a·Φ(a), Φ(a) = ½(1 + erf(a/√2))
        scaled = graph.node("Cast", graph.mul(a, 1 / np.sqrt(2.0)), to=_FLOAT)
        erf = graph.node("Cast", graph.node("Erf", scaled), to=graph.dtype)
        phi = graph.node("Add", [erf, graph.constant(1.0)])
        return graph.mul(graph.node("Mul", [a, phi]), 0.5)
    raise ValueError(f"No ONNX form for the activation {name!r}.")  # pragma: no cover


def _forward(graph, estimator, X):
    """The last layer's a_L (output activation not applied)."""
    params = estimator._fitted_params()
    architecture = params.architecture
    h = graph.node("Cast", X, to=graph.dtype)
    last = len(params.coefs) - 1
    for k, (W, b) in enumerate(zip(params.coefs, params.intercepts, strict=True)):
        a = graph.node("MatMul", [h, graph.constant(W, "coefficient")])
        if architecture.fit_intercept:
            a = graph.node("Add", [a, graph.constant(b.reshape(1, -1), "intercept")])
        h = a if k == last else _activation(graph, architecture.activation, a)
    return h


def _convert_regressor(scope, operator, container):
    estimator = operator.raw_operator
    _check_exportable(estimator)
    graph = _Graph(scope, container, _proto_dtype(operator))
    y = _forward(graph, estimator, operator.inputs[0].full_name)
    output_activation = estimator._fitted_params().architecture.output_activation
    if output_activation == "sigmoid":
        y = graph.node("Sigmoid", y)
    elif output_activation == "exp":  # clipped first, as exp_inplace does
        largest = _LOG_MAX[np.dtype(graph.numpy_dtype)]
        y = graph.node("Exp", graph.node("Min", [y, graph.constant(largest)]))
    apply_reshape(
        scope,
        y,
        operator.outputs[0].full_name,
        container,
        desired_shape=(-1, estimator.n_outputs_),
    )


def _kind(estimator):
    """ "binary", "multiclass" or "multilabel"; SoftmaxMLPClassifier's network is
    a softmax for two classes too."""
    if isinstance(estimator, SoftmaxMLPClassifier):
        return "multiclass"
    return estimator._y_kind_


def _probabilities(graph, kind, logits, out):
    """``predict_proba`` from the logits: softmax, [1 − σ(a), σ(a)] or σ(a)."""
    if kind == "multiclass":
        return graph.node("Softmax", logits, out=out, axis=1)
    if kind == "multilabel":
        return graph.node("Sigmoid", logits, out=out)
    positive = graph.node("Sigmoid", logits)  # (n, 1): P(classes_[1])
    negative = graph.node("Sub", [graph.constant(1.0), positive])
    return graph.node("Concat", [negative, positive], out=out, axis=1)


def _convert_classifier(scope, operator, container):
    estimator = operator.raw_operator
    _check_exportable(estimator)
    graph = _Graph(scope, container, _proto_dtype(operator))
    logits = _forward(graph, estimator, operator.inputs[0].full_name)
    kind = _kind(estimator)
    probabilities = _probabilities(graph, kind, logits, operator.outputs[1].full_name)
    if kind == "multilabel":  # each label with σ(a) > ½, as predict
        positive = graph.node("Greater", [logits, graph.constant(0.0)])
        graph.node(
            "Cast",
            positive,
            out=operator.outputs[0].full_name,
            to=onnx_proto.TensorProto.INT64,
        )
        return
    classes = estimator.classes_
    if scope.get_options(estimator, {"nocl": False})["nocl"]:
        classes = np.arange(len(classes))  # the labels' indices, as skl2onnx's
    if classes.dtype.kind in "iub":
        classes, class_type = classes.astype(np.int64), onnx_proto.TensorProto.INT64
    elif classes.dtype.kind == "f":
        if not np.array_equal(classes, np.round(classes)):
            raise ValueError(
                "ONNX export of a classifier with non-integer float labels "
                f"({classes}) is not supported: encode them as integers or strings."
            )
        classes, class_type = classes.astype(np.int64), onnx_proto.TensorProto.INT64
    else:
        classes = np.array([str(c).encode("utf-8") for c in classes])
        class_type = onnx_proto.TensorProto.STRING
    classes_name = scope.get_unique_variable_name("classes")
    container.add_initializer(classes_name, class_type, classes.shape, classes)
    winner = graph.node("ArgMax", probabilities, axis=1)
    label = scope.get_unique_variable_name("label")
    container.add_node(
        "ArrayFeatureExtractor",
        [classes_name, winner],
        label,
        op_domain="ai.onnx.ml",
        name=scope.get_unique_operator_name("ArrayFeatureExtractor"),
    )
    apply_reshape(
        scope, label, operator.outputs[0].full_name, container, desired_shape=(-1,)
    )


def _parse_classifier(scope, model, inputs, custom_parsers=None):
    """skl2onnx's classifier parser, with a ZipMap only where onnxruntime runs
    it: never for float64 input (ZipMap has no double kernel) or a multilabel
    model (its label is a matrix), whatever the options — skl2onnx's Pipeline
    parser asks every classifier step for one."""
    double = guess_proto_type(inputs[0].type) == onnx_proto.TensorProto.DOUBLE
    if double or _kind(model) == "multilabel":
        scope.add_options(id(model), {"zipmap": False})
    return _parse_sklearn_classifier(scope, model, inputs, custom_parsers)


def _classifier_output_shapes(operator):
    calculate_linear_classifier_output_shapes(operator)
    estimator = operator.raw_operator
    if _kind(estimator) == "multilabel":
        n_samples = operator.outputs[1].type.shape[0]
        n_labels = len(estimator.classes_)
        operator.outputs[0].type = Int64TensorType([n_samples, n_labels])


def _proto_dtype(operator):
    dtype = guess_proto_type(operator.inputs[0].type)
    return (
        dtype
        if dtype == onnx_proto.TensorProto.DOUBLE
        else onnx_proto.TensorProto.FLOAT
    )


def _regressor_output_shape(operator):
    estimator = operator.raw_operator
    input_type = operator.inputs[0].type
    n_samples = input_type.shape[0] if input_type.shape else None
    tensor_type = type(input_type)
    if guess_proto_type(input_type) != onnx_proto.TensorProto.DOUBLE:
        tensor_type = FloatTensorType
    operator.outputs[0].type = tensor_type([n_samples, estimator.n_outputs_])


for _estimator, _alias in (
    (TwoLayerSigmoidRegressor, "SkbackpropTwoLayerSigmoidRegressor"),
    (BackpropMLPRegressor, "SkbackpropBackpropMLPRegressor"),
):
    skl2onnx.update_registered_converter(
        _estimator, _alias, _regressor_output_shape, _convert_regressor
    )
for _estimator, _alias in (
    (SoftmaxMLPClassifier, "SkbackpropSoftmaxMLPClassifier"),
    (BackpropMLPClassifier, "SkbackpropBackpropMLPClassifier"),
):
    skl2onnx.update_registered_converter(
        _estimator,
        _alias,
        _classifier_output_shapes,
        _convert_classifier,
        parser=_parse_classifier,
        options={
            "zipmap": [True, False, "columns"],
            "nocl": [True, False],
            "output_class_labels": [False, True],
        },
    )


def to_onnx(estimator, X_sample, **kwargs):
    """Export a fitted estimator (or a ``Pipeline`` ending in one) to ONNX.

    Parameters
    ----------
    estimator : fitted skbackprop estimator, or a Pipeline containing one
    X_sample : ndarray of shape (n_samples, n_features)
        A few rows of input: their dtype (float32 or float64) is the model's
        input type, and the graph computes in it.
    **kwargs
        Passed on to ``skl2onnx.to_onnx`` (``options``, ``target_opset``, …).

    Returns
    -------
    onnx_model : onnx.ModelProto
        Run it with ``onnxruntime.InferenceSession(onnx_model.SerializeToString())``.
    """
    if hasattr(estimator, "_fitted_params"):
        _check_exportable(estimator)
    return skl2onnx.to_onnx(estimator, X_sample, **kwargs)
