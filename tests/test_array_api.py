"""Under ``sklearn.set_config(array_api_dispatch=True)`` the estimators compute in
X's namespace, on X's device (SPEC §7.2): array-api-strict on its CPU device and
on the simulated ``device1`` (which refuses silent conversion to numpy), and torch
on the CPU. Every result equals the numpy fit's in float64 to 1e-9."""

import math
import pickle

import array_api_strict
import numpy as np
import onnxruntime
import pytest
import sklearn
import skops.io as sio
import torch
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.externals.array_api_compat import array_namespace
from sklearn.utils._array_api import (
    get_namespace_and_device,
    move_estimator_to,
    move_to,
)

from skbackprop import (
    Activation,
    BackpropMLPClassifier,
    BackpropMLPRegressor,
    SoftmaxMLPClassifier,
    TwoLayerSigmoidRegressor,
    check_gradients,
)
from skbackprop._inputs import InputValidationMixin
from skbackprop._parameters import AllocatingWorkspace
from skbackprop._runner import output_bound, predicts_finite
from skbackprop.callbacks import GradientMonitor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

RNG = np.random.RandomState(0)
X = RNG.randn(50, 4)
Y_CLF = (X[:, 0] > 0).astype(np.int64) + (X[:, 1] > 0.5)
Y_REG = X[:, 0] - X[:, 1]
W = RNG.uniform(0.2, 2.0, 50)
ESTIMATORS = {
    "classifier": lambda: SoftmaxMLPClassifier(hidden_layer_sizes=(5, 3), max_iter=4),
    "regressor": lambda: TwoLayerSigmoidRegressor(hidden_size=5, max_iter=4),
    "mlp_regressor": lambda: BackpropMLPRegressor(hidden_layer_sizes=(5,), max_iter=4),
    "mlp_classifier": lambda: BackpropMLPClassifier(
        hidden_layer_sizes=(5,), max_iter=4
    ),
}
NAMESPACES = {
    "strict-cpu": (array_api_strict, array_api_strict.Device("CPU_DEVICE")),
    "strict-device1": (array_api_strict, array_api_strict.Device("device1")),
    "torch-cpu": (array_namespace(torch.asarray(1)), "cpu"),
}
if torch.cuda.is_available():  # the GPU check (benchmarks/gpu_check.sh)
    NAMESPACES["torch-cuda"] = (array_namespace(torch.asarray(1)), "cuda")


def target(kind):
    return Y_CLF if kind.endswith("classifier") else Y_REG


def host(array):
    return move_to(array, xp=np, device="cpu")


@pytest.fixture(params=NAMESPACES)
def on(request):
    """Moves numpy arrays to the namespace and device under test."""
    xp, device = NAMESPACES[request.param]

    def to(array):
        return None if array is None else xp.asarray(array, device=device)

    to.xp, to.device = xp, device
    with sklearn.config_context(array_api_dispatch=True):
        yield to


def assert_on(array, to):
    xp, _, device = get_namespace_and_device(array)
    xp_X, _, device_X = get_namespace_and_device(to(X))
    assert xp.__name__ == xp_X.__name__ and device == device_X


def assert_same_model(got, expected, rtol=1e-9):
    for a, b in zip(
        got.coefs_ + got.intercepts_,
        expected.coefs_ + expected.intercepts_,
        strict=True,
    ):
        assert_allclose(host(a), b, rtol=rtol, atol=rtol)
    assert_allclose(got.loss_curve_, expected.loss_curve_, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("solver", ["gd", "sgd", "adam", "lbfgs"])
@pytest.mark.parametrize("kind", ESTIMATORS)
def test_float64_fit_equals_numpy(kind, solver, on):
    est = ESTIMATORS[kind]().set_params(solver=solver, random_state=0, batch_size=16)
    expected = clone(est).fit(X, target(kind), sample_weight=W)
    got = clone(est).fit(on(X), on(target(kind)), sample_weight=on(W))
    assert_same_model(got, expected)
    for W_k in got.coefs_ + got.intercepts_:
        assert_on(W_k, on)
    methods = ["predict"]
    if kind.endswith("classifier"):
        methods += ["predict_proba", "predict_log_proba", "decision_function"]
    for method in methods:
        result = getattr(got, method)(on(X))
        assert_on(result, on)
        assert_allclose(host(result), getattr(expected, method)(X), atol=1e-9)
    score = got.score(on(X), on(target(kind)))
    assert isinstance(score, float)
    assert abs(score - expected.score(X, target(kind))) < 1e-9


@pytest.mark.parametrize(
    "params",
    [
        {"learning_rate_schedule": "invscaling", "solver": "sgd"},
        {"learning_rate_schedule": "adaptive", "solver": "sgd", "n_iter_no_change": 1},
        {"learning_rate_schedule": "cosine"},
        {"early_stopping": True, "n_iter_no_change": 1},
        {"early_stopping": True, "scoring": "loss"},
    ],
)
@pytest.mark.parametrize("kind", ["classifier", "mlp_regressor"])
def test_schedules_and_early_stopping_equal_numpy(kind, params, on):
    est = ESTIMATORS[kind]().set_params(random_state=1, max_iter=6, **params)
    expected = clone(est).fit(X, target(kind), sample_weight=W)
    got = clone(est).fit(on(X), on(target(kind)), sample_weight=on(W))
    assert_same_model(got, expected)
    assert_allclose(got.learning_rate_curve_, expected.learning_rate_curve_)
    if expected.validation_scores_ is not None:
        assert_allclose(got.validation_scores_, expected.validation_scores_, atol=1e-9)


@pytest.mark.parametrize("kind", ESTIMATORS)
def test_validation_data_partial_fit_and_warm_start_equal_numpy(kind, on):
    est = ESTIMATORS[kind]().set_params(random_state=2, warm_start=True)
    y = target(kind)
    extra = {"classes": np.unique(Y_CLF)} if kind.endswith("classifier") else {}
    expected, got = clone(est), clone(est)
    expected.fit(X[:30], y[:30], X_val=X[30:], y_val=y[30:]).fit(X, y)
    got.fit(on(X[:30]), on(y[:30]), X_val=on(X[30:]), y_val=on(y[30:]))
    got.fit(on(X), on(y))
    assert_same_model(got, expected)
    partial, partial_np = clone(est), clone(est)
    for _ in range(2):
        partial_np.partial_fit(X, y, sample_weight=W, **extra)
        partial.partial_fit(on(X), on(y), sample_weight=on(W), **extra)
    assert_same_model(partial, partial_np)


@pytest.mark.parametrize("kind", ESTIMATORS)
def test_gradient_window_equals_numpy(kind, on):
    est = ESTIMATORS[kind]().set_params(random_state=0, alpha=0.1)
    expected = clone(est).fit(X, target(kind))
    got = clone(est).fit(on(X), on(target(kind)))
    loss, coef_grads, intercept_grads = got.loss_and_gradients(
        on(X), on(target(kind)), on(W)
    )
    loss_np, coef_np, intercept_np = expected.loss_and_gradients(X, target(kind), W)
    assert isinstance(loss, float) and abs(loss - loss_np) < 1e-12
    for a, b in zip(coef_grads + intercept_grads, coef_np + intercept_np, strict=True):
        assert_on(a, on)
        assert_allclose(host(a), b, rtol=1e-9, atol=1e-12)
    trace = got.backprop_trace(on(X), on(target(kind)))
    trace_np = expected.backprop_trace(X, target(kind))
    assert abs(trace.loss - trace_np.loss) < 1e-12
    for record, record_np in zip(trace.layers, trace_np.layers, strict=True):
        for name in ("a", "h", "delta", "coef_grad", "intercept_grad"):
            assert_allclose(host(getattr(record, name)), getattr(record_np, name))
    assert str(trace).splitlines()[1:] == str(trace_np).splitlines()[1:]
    report = check_gradients(got, on(X[:10]), on(target(kind)[:10]))
    assert report.max_relative_error < 1e-6
    expected_report = check_gradients(expected, X[:10], target(kind)[:10])
    assert_allclose(report.analytic, expected_report.analytic, rtol=1e-9)


@pytest.mark.parametrize(
    "activation", ["tanh", "relu", "leaky_relu", "elu", "softplus", "silu"]
)
def test_every_activation_equals_numpy(activation, on):
    est = BackpropMLPRegressor(
        hidden_layer_sizes=(4,), activation=activation, max_iter=3, random_state=0
    )
    expected = clone(est).fit(X, Y_REG)
    assert_same_model(clone(est).fit(on(X), on(Y_REG)), expected)


def test_poisson_and_sigmoid_outputs_equal_numpy(on):
    for est, y in (
        (
            BackpropMLPRegressor(loss="poisson", max_iter=3, random_state=0),
            np.abs(Y_REG),
        ),
        (
            TwoLayerSigmoidRegressor(
                output_activation="sigmoid", max_iter=3, random_state=0
            ),
            (Y_REG > 0).astype(float),
        ),
    ):
        assert_same_model(clone(est).fit(on(X), on(y)), clone(est).fit(X, y))


def test_float32_fit_to_float32_tolerance(on):
    est = SoftmaxMLPClassifier(hidden_layer_sizes=(5,), max_iter=4, random_state=0)
    X32 = X.astype(np.float32)
    expected = clone(est).fit(X32, Y_CLF)
    got = clone(est).fit(on(X32), on(Y_CLF))
    assert host(got.coefs_[0]).dtype == np.float32
    assert_same_model(got, expected, rtol=1e-4)


def test_gradient_monitor_equals_numpy(on):
    est = BackpropMLPRegressor(
        hidden_layer_sizes=(5,), activation="tanh", max_iter=3, random_state=0
    )
    monitors = GradientMonitor(), GradientMonitor()
    clone(est).set_callbacks(monitors[0]).fit(X, Y_REG)
    clone(est).set_callbacks(monitors[1]).fit(on(X), on(Y_REG))
    assert len(monitors[1].history) == len(monitors[0].history) == 6
    for row, row_np in zip(monitors[1].history, monitors[0].history, strict=True):
        for key, value in row_np.items():
            if isinstance(value, float):
                assert_allclose(row[key], value, rtol=1e-7, atol=1e-12)


def test_prediction_on_another_namespace_raises_sklearns_error(on):
    est = SoftmaxMLPClassifier(hidden_layer_sizes=(3,), max_iter=2).fit(
        on(X), on(Y_CLF)
    )
    for method in ("predict", "predict_proba", "decision_function"):
        with pytest.raises(ValueError, match="must use the same namespace"):
            getattr(est, method)(X)
    with pytest.raises(ValueError, match="must use the same namespace"):
        est.loss_and_gradients(X, Y_CLF)


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_continuing_a_model_on_another_namespace_raises_with_the_model_untouched(
    method, on
):
    est = BackpropMLPRegressor(hidden_layer_sizes=(3,), max_iter=2, warm_start=True)
    est.fit(X, Y_REG)
    before = est._params.flat.copy()
    with pytest.raises(ValueError, match="must use the same namespace"):
        getattr(est, method)(on(X), on(Y_REG))
    assert_array_equal(est._params.flat, before)
    assert len(est.loss_curve_) == 2


def test_numpy_only_activation_is_refused_at_fit_with_the_model_untouched(on):
    numpy_tanh = Activation(np.tanh, lambda a, z: 1 - z * z, name="numpy_tanh")
    est = BackpropMLPRegressor(
        hidden_layer_sizes=(3,), activation=numpy_tanh, max_iter=2
    )
    with pytest.raises(ValueError, match="numpy_tanh"):
        est.fit(on(X), on(Y_REG))
    assert not hasattr(est, "n_features_in_")

    def tanh(a):
        return array_namespace(a).tanh(a)

    generic = Activation(tanh, lambda a, z: 1 - z * z, name="tanh")
    fitted = clone(est).set_params(activation=generic, random_state=0)
    expected = clone(fitted).set_params(activation="tanh").fit(X, Y_REG)
    assert_same_model(fitted.fit(on(X), on(Y_REG)), expected)


@pytest.mark.parametrize("kind", ESTIMATORS)
def test_numpy_input_under_dispatch_trains_and_predicts_as_without_it(kind):
    def run():
        est = ESTIMATORS[kind]().set_params(random_state=0)
        est.fit(X, target(kind)).partial_fit(X, target(kind), sample_weight=2.0)
        return est.predict(X)

    expected = run()
    with sklearn.config_context(array_api_dispatch=True):
        assert_array_equal(run(), expected)


# -- what crosses from the device to the host during fit ---------------------------
DEVICE1 = array_api_strict.Device("device1")


@pytest.fixture
def transfers(monkeypatch):
    """Every read of an array_api_strict array back to the host: (what, size).

    On ``device1`` array-api-strict refuses ``np.asarray`` outright, so the only
    ways out are the explicit ones recorded here: a scalar's float/int/bool, a
    DLPack export (``move_to``), ``to_device`` and ``asarray`` onto the CPU."""
    records = []
    Array = type(array_api_strict.asarray(0.0))

    def recording(name, method):
        def wrapper(self, *args, **kwargs):
            records.append((name, int(np.prod(self.shape))))
            return method(self, *args, **kwargs)

        return wrapper

    for name in ("__float__", "__int__", "__bool__", "__index__", "__dlpack__"):
        monkeypatch.setattr(Array, name, recording(name, getattr(Array, name)))
    to_device = Array.to_device

    def recording_to_device(self, device, /, **kwargs):
        if device != self.device:
            records.append(("to_device", int(np.prod(self.shape))))
        return to_device(self, device, **kwargs)

    monkeypatch.setattr(Array, "to_device", recording_to_device)
    return records


def fit_and_count(est, X, y, w, transfers):
    with sklearn.config_context(array_api_dispatch=True):
        to = partial_to_device1
        X_d, y_d, w_d = to(X), to(y), to(w)
        transfers.clear()  # the arrays' creation is not fit's
        est.fit(X_d, y_d, sample_weight=w_d, X_val=X_d[:20, ...], y_val=y_d[:20])
    return list(transfers)


def partial_to_device1(array):
    return array_api_strict.asarray(array, device=DEVICE1)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("kind", ["classifier", "mlp_regressor"])
def test_fit_on_device1_reads_back_a_few_scalars_per_epoch(kind, solver, transfers):
    rng = np.random.RandomState(3)
    X_big = rng.randn(400, 4)
    y = (
        (X_big[:, 0] > 0).astype(np.int64)
        if kind.endswith("classifier")
        else X_big[:, 0]
    )
    w = rng.uniform(0.5, 1.5, 400)
    counts = {}
    for batch_size in (200, 10):  # 2 and 40 minibatches per epoch
        est = ESTIMATORS[kind]().set_params(
            solver=solver, batch_size=batch_size, max_iter=3, random_state=0, tol=0
        )
        records = fit_and_count(est, X_big, y, w, transfers)
        n_parameters = host(est._params.flat).shape[0]
        # nothing larger than the parameter vector or y ever comes back
        assert max(size for _, size in records) <= max(n_parameters, y.shape[0])
        assert est.n_iter_ == 3
        counts[batch_size] = len(records)
    # and the number of reads does not grow with the number of minibatches
    assert counts[10] == counts[200]
    # y, w, y_val, the activation check's points and (a regressor) y_val's scale
    # check at the start, then per epoch the loss, the batches' weights, a
    # finiteness flag, the validation loss and score, and at the end the final
    # check's bound on the outputs (max|X|, then two scalars per layer)
    assert counts[10] <= 9 + 3 * 8 + 5


# -- the end-of-training checks and the diagnosis, in X's namespace ---------------
def log_plus_7(a):
    return array_namespace(a).log(a + 7.0)  # finite on [-6, 6], NaN below -7


def log_plus_7_derivative(a, z):
    return 1.0 / (a + 7.0)


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_an_activation_nan_is_named_and_the_model_kept_in_the_namespace(solver, on):
    # the end-of-training check and activation_error run on X's device: a user's
    # activation NaN off check_activation's grid is named, not the learning rate
    activation = Activation(log_plus_7, log_plus_7_derivative)
    est = BackpropMLPRegressor(
        hidden_layer_sizes=(4,), activation=activation, random_state=0, solver=solver
    )
    with pytest.raises(ValueError, match="'log_plus_7' returned a non-finite value"):
        clone(est).fit(on(X * 100), on(Y_REG))
    est.fit(on(X), on(Y_REG))  # inputs that keep a above -7
    before = host(est._params.flat)
    X_far, y_far = np.r_[X, [[-1e3] * 4]], np.r_[Y_REG, 0.0]
    with pytest.raises(ValueError, match="'log_plus_7' returned a non-finite value"):
        est.set_params(warm_start=True, max_iter=1).fit(on(X_far), on(y_far))
    assert_array_equal(host(est._params.flat), before)


@pytest.mark.parametrize("solver", ["sgd", "gd"])
def test_divergence_raises_sklearns_sentence_and_leaves_the_model_unfitted(solver, on):
    X_large = X * 1e3
    est = BackpropMLPRegressor(
        hidden_layer_sizes=(8,),
        solver=solver,
        learning_rate=1e6,
        batch_size=10,
        max_iter=50,
        random_state=0,
    )
    with pytest.raises(ValueError, match="(?s)diverged.*Solver produced non-finite"):
        est.fit(on(X_large), on(X_large @ np.arange(1.0, 5.0)))
    assert not hasattr(est, "coefs_")


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_divergence_under_early_stopping_ends_at_the_best_weights_as_numpy(on):
    # the epoch that diverges is recorded (NaN), training ends at the weights of
    # the best validation score with a ConvergenceWarning, as on numpy
    X_large = X * 1e3
    y_large = X_large @ np.arange(1.0, 5.0)
    est = BackpropMLPRegressor(
        hidden_layer_sizes=(8,),
        solver="sgd",
        learning_rate=1e-6,
        batch_size=10,
        max_iter=300,
        n_iter_no_change=300,
        early_stopping=True,
        random_state=0,
    )
    ended = "(?s)diverged.*Early stopping ended training there"
    with pytest.warns(ConvergenceWarning, match=ended):
        expected = clone(est).fit(X_large, y_large)
    with pytest.warns(ConvergenceWarning, match=ended):
        est.fit(on(X_large), on(y_large))
    assert est.n_iter_ == expected.n_iter_ == 2
    assert_array_equal(np.isnan(est.loss_curve_), np.isnan(expected.loss_curve_))
    assert_same_model(est, expected)
    assert np.isfinite(host(est._params.flat)).all()


def test_the_final_check_computes_in_the_namespace_as_in_numpy(on):
    est = BackpropMLPRegressor(hidden_layer_sizes=(5, 3), random_state=0)
    est.fit(on(X), on(Y_REG))
    there = est._params
    here = move_estimator_to(est, np, "cpu")._params
    assert_allclose(output_bound(there, on(X)), output_bound(here, X), rtol=1e-12)
    assert predicts_finite(there, on(X), 7, AllocatingWorkspace(there.architecture))
    # weights whose products overflow: the forward pass over X finds it, on the
    # device, as numpy's does
    there.flat[...] = there.flat * 1e200
    here.flat[...] = here.flat * 1e200
    assert output_bound(there, on(X)) == math.inf
    assert not predicts_finite(here, X, 7)
    assert not predicts_finite(there, on(X), 7, AllocatingWorkspace(there.architecture))


def test_partial_fit_outside_numpy_takes_the_full_validation(on, monkeypatch):
    # the fast path of a continued partial_fit is for numpy arrays only
    calls = []
    validated = InputValidationMixin._validated_training_arrays

    def counting(self, *args, **kwargs):
        calls.append(type(args[0]))
        return validated(self, *args, **kwargs)

    monkeypatch.setattr(InputValidationMixin, "_validated_training_arrays", counting)
    est = BackpropMLPRegressor(hidden_layer_sizes=(3,), random_state=0)
    est.partial_fit(on(X), on(Y_REG))
    est.partial_fit(on(X), on(Y_REG))
    assert len(calls) == 2
    numpy_est = BackpropMLPRegressor(hidden_layer_sizes=(3,), random_state=0)
    numpy_est.partial_fit(X, Y_REG)
    numpy_est.partial_fit(X, Y_REG)
    assert len(calls) == 3  # numpy's second call took the fast path
    assert_same_model(est, numpy_est)


# -- moving a fitted model between namespaces ---------------------------------------
@pytest.mark.parametrize("solver", ["adam", "sgd"])
@pytest.mark.parametrize("kind", ESTIMATORS)
def test_move_estimator_to_keeps_the_flat_buffer_and_its_views(kind, solver, on):
    est = ESTIMATORS[kind]().set_params(solver=solver, random_state=0)
    est.fit(on(X), on(target(kind)))
    back = move_estimator_to(est, np, "cpu")
    assert isinstance(back._params.flat, np.ndarray)
    for view in back.coefs_ + back.intercepts_:
        assert np.shares_memory(view, back._params.flat)
    assert_allclose(back.predict(X), host(est.predict(on(X))), atol=1e-12)
    there = move_estimator_to(back, to_xp(on), to_device(on))
    assert_on(there._params.flat, on)
    there._params.flat[...] = 0.0  # the views follow their buffer
    assert all(float(to_xp(on).sum(view * view)) == 0.0 for view in there.coefs_)
    # the optimizer's state moves too: partial_fit continues where fit ended
    extra = {"classes": np.unique(Y_CLF)} if kind.endswith("classifier") else {}
    continued = move_estimator_to(est, to_xp(on), to_device(on))
    continued.partial_fit(on(X), on(target(kind)), **extra)
    back.partial_fit(X, target(kind), **extra)
    assert_same_model(continued, back)
    assert host(est._params.flat).shape == back._params.flat.shape  # est unchanged


def to_xp(on):
    return array_namespace(on(X))


def to_device(on):
    return get_namespace_and_device(on(X))[2]


@pytest.mark.parametrize("kind", ESTIMATORS)
def test_a_model_fitted_elsewhere_pickles_and_moved_back_saves_and_exports(kind, on):
    est = ESTIMATORS[kind]().set_params(random_state=0).fit(on(X), on(target(kind)))
    expected = host(est.predict(on(X)))
    if on.device != array_api_strict.Device("device1"):  # pickle in its namespace
        again = pickle.loads(pickle.dumps(est))
        assert_allclose(host(again.predict(on(X))), expected)
    back = move_estimator_to(est, np, "cpu")
    dumped = sio.dumps(back)
    loaded = sio.loads(dumped, trusted=sio.get_untrusted_types(data=dumped))
    assert_allclose(loaded.predict(X), expected, atol=1e-12)
    from skbackprop.onnx import to_onnx

    options = {"zipmap": False} if kind.endswith("classifier") else None
    model = to_onnx(back, X[:1], options=options)
    session = onnxruntime.InferenceSession(
        model.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    outputs = session.run(None, {session.get_inputs()[0].name: X})
    if kind.endswith("classifier"):
        assert_array_equal(outputs[0], back.predict(X))
    else:
        assert_allclose(outputs[0].reshape(expected.shape), expected, atol=1e-5)


@pytest.mark.parametrize("problem", ["binary", "multilabel"])
def test_logistic_outputs_of_the_mlp_classifier_equal_numpy(problem, on):
    y = (X[:, 0] > 0).astype(np.int64)
    if problem == "multilabel":
        y = np.c_[y, X[:, 1] > 0.3].astype(np.int64)
    est = BackpropMLPClassifier(hidden_layer_sizes=(5,), max_iter=4, random_state=0)
    expected = clone(est).fit(X, y, sample_weight=W)
    got = clone(est).fit(on(X), on(y), sample_weight=on(W))
    assert_same_model(got, expected)
    for method in (
        "predict",
        "predict_proba",
        "predict_log_proba",
        "decision_function",
    ):
        result = getattr(got, method)(on(X))
        assert_on(result, on)
        assert_allclose(host(result), getattr(expected, method)(X), atol=1e-9)
    assert got.score(on(X), on(y)) == expected.score(X, y)


def test_gelu_needs_a_normal_cdf_and_says_so_where_there_is_none():
    # the array API has no erf: gelu runs on torch and numpy-backed arrays, and
    # on array-api-strict's device1 (no conversion to numpy) fit refuses it clearly
    est = BackpropMLPRegressor(hidden_layer_sizes=(3,), activation="gelu", max_iter=2)
    with sklearn.config_context(array_api_dispatch=True):
        X_1 = array_api_strict.asarray(X, device=array_api_strict.Device("device1"))
        with pytest.raises(ValueError, match="'gelu' cannot compute in"):
            est.fit(X_1, Y_REG)
        assert not hasattr(est, "n_features_in_")
        X_t = torch.asarray(X)
        expected = clone(est).set_params(random_state=0)
        assert_same_model(expected.fit(X_t, Y_REG), clone(expected).fit(X, Y_REG))
