"""Save a fitted pipeline securely with skops, and serve it with ONNX Runtime.
===========================================================================

A ``Pipeline(StandardScaler(), SoftmaxMLPClassifier())`` is fitted on digits, then:

1. saved with ``skops.io``, which loads only the types it is told to trust —
   ``get_untrusted_types`` names the estimator's class alone, because its fitted
   state is plain arrays, numbers and dicts (``mlflow.sklearn.log_model``, which
   saves with skops, takes the same list as ``skops_trusted_types``);
2. loaded back, checked bit for bit, and trained one more epoch with
   ``partial_fit`` exactly as the original would be;
3. exported to ONNX with ``skbackprop.onnx`` and run by ``onnxruntime``, whose
   probabilities match ``predict_proba`` within 1e-5.

Needs the extras ``persistence`` and ``onnx``. Run
``python examples/save_and_serve.py``; ``SKBACKPROP_EXAMPLES_QUICK=1`` trains for
fewer epochs.
"""

# %%
import numpy as np
import onnxruntime
import skops.io as sio
from _setup import example_setup
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skbackprop import SoftmaxMLPClassifier
from skbackprop.onnx import to_onnx

QUICK, OUTPUT, _ = example_setup("Save with skops, serve with ONNX.", figures=False)

X, y = load_digits(return_X_y=True)
X = X.astype(np.float32)  # the model, and then its ONNX graph, compute in float32
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
pipe = make_pipeline(
    StandardScaler(),
    SoftmaxMLPClassifier(
        hidden_layer_sizes=(64,), max_iter=5 if QUICK else 60, random_state=0
    ),
)
pipe.fit(X_train, y_train)
print(f"test accuracy {pipe.score(X_test, y_test):.3f}")

# %%
# 1–2. skops: inspect the types before trusting them, then load.
data = sio.dumps(pipe)
untrusted = sio.get_untrusted_types(data=data)
print("types skops asks to trust:", untrusted)
assert untrusted == ["skbackprop._classifier.SoftmaxMLPClassifier"]
loaded = sio.loads(data, trusted=untrusted)
same = np.array_equal(loaded.predict_proba(X_test), pipe.predict_proba(X_test))
print(f"loaded model predicts bit for bit the same: {same}")
assert same
# The optimizer's state travels too: one more epoch, with and without the round trip.
scaled = pipe[0].transform(X_train)
pipe[-1].partial_fit(scaled, y_train)
loaded[-1].partial_fit(scaled, y_train)
same = np.array_equal(loaded[-1].coefs_[0], pipe[-1].coefs_[0])
print(f"partial_fit after loading continues identically: {same}")
assert same
# With MLflow (which saves scikit-learn models with skops):
#     mlflow.sklearn.log_model(pipe, name="model", skops_trusted_types=untrusted)

# %%
# 3. ONNX: the whole pipeline, scaler included, as one graph.
onnx_model = to_onnx(pipe, X_test[:1], options={"zipmap": False})
session = onnxruntime.InferenceSession(
    onnx_model.SerializeToString(), providers=["CPUExecutionProvider"]
)
labels, probabilities = session.run(None, {session.get_inputs()[0].name: X_test})
gap = np.abs(probabilities - pipe.predict_proba(X_test)).max()
print(f"onnxruntime vs predict_proba: largest difference {gap:.1e}")
assert gap < 1e-5 and np.array_equal(labels, pipe.predict(X_test))
