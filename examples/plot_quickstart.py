"""Quick start: both estimators in a pipeline, and their gradients checked.
========================================================================

Fits ``SoftmaxMLPClassifier`` on scikit-learn's digits and
``TwoLayerSigmoidRegressor`` on a noisy sine, exactly as any scikit-learn
estimator, then compares the hand-derived gradients of the fitted classifier with
central finite differences. Writes ``quickstart_digits.png`` (confusion matrix)
and ``quickstart_regression.png`` (the fitted curve).

Run ``python examples/plot_quickstart.py --output DIR``; set
``SKBACKPROP_EXAMPLES_QUICK=1`` for a fast run on tiny settings.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from _setup import example_setup
from sklearn.datasets import load_digits
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skbackprop import SoftmaxMLPClassifier, TwoLayerSigmoidRegressor, check_gradients

QUICK, OUTPUT, _ = example_setup("Quick start with skbackprop.")

# %% [markdown]
# ## A classifier in a pipeline
# Scale the pixels, then a one-hidden-layer softmax network trained with Adam.

# %%
X, y = load_digits(return_X_y=True)
if QUICK:
    X, y = X[:300], y[:300]
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)
clf = make_pipeline(
    StandardScaler(),
    SoftmaxMLPClassifier(
        hidden_layer_sizes=(64,),
        learning_rate=1e-2,
        max_iter=5 if QUICK else 60,
        random_state=0,
    ),
)
clf.fit(X_train, y_train)
print(f"digits: test accuracy {clf.score(X_test, y_test):.3f}")

fig, ax = plt.subplots(figsize=(5.5, 5))
ConfusionMatrixDisplay.from_estimator(clf, X_test, y_test, ax=ax, colorbar=False)
ax.set_title("SoftmaxMLPClassifier on digits (test set)")
fig.tight_layout()
fig.savefig(OUTPUT / "quickstart_digits.png", dpi=80)

# %% [markdown]
# ## A regressor: the seeds' two-layer sigmoid network with a linear output

# %%
rng = np.random.RandomState(0)
x = np.sort(rng.uniform(-3, 3, 40 if QUICK else 200))
t = np.sin(x) + 0.1 * rng.randn(x.size)
reg = TwoLayerSigmoidRegressor(
    hidden_size=10, solver="lbfgs", max_iter=20 if QUICK else 500, random_state=0
)
reg.fit(x.reshape(-1, 1), t)
print(f"sine: training R² {reg.score(x.reshape(-1, 1), t):.3f}")

grid = np.linspace(-3, 3, 300).reshape(-1, 1)
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.scatter(x, t, s=10, color="0.6", label="data")
ax.plot(grid, reg.predict(grid), color="C1", lw=2, label="TwoLayerSigmoidRegressor")
ax.plot(grid, np.sin(grid), color="C0", ls="--", label="sin(x)")
ax.set_xlabel("x")
ax.legend()
fig.tight_layout()
fig.savefig(OUTPUT / "quickstart_regression.png", dpi=80)

# %% [markdown]
# ## The manual gradients against finite differences
# ``check_gradients`` perturbs every weight by ±ε and compares.

# %%
report = check_gradients(clf[-1], clf[0].transform(X_test[:20]), y_test[:20])
print(report)
