"""Gradient check: the hand-derived gradients against finite differences.
======================================================================

``check_gradients`` perturbs every parameter θ_i by ±ε and compares the central
difference (L(θ + ε e_i) − L(θ − ε e_i)) / 2ε with ``loss_and_gradients``. This
script prints its report for one network, a table over activations, depths,
outputs, biases, sample weights and L2 strengths, and plots the largest relative
error against ε in ``gradient_check.png``: truncation error falls as ε², round-off
grows as 1/ε, and the best ε sits between them.

Run ``python examples/gradient_check.py --output DIR``; set
``SKBACKPROP_EXAMPLES_QUICK=1`` for a fast run on tiny settings.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from _setup import example_setup

from skbackprop import SoftmaxMLPClassifier, TwoLayerSigmoidRegressor, check_gradients

QUICK, OUTPUT, _ = example_setup(
    "Gradient check.",
    ignore_convergence="always",  # a few steps are enough here
)

# %% [markdown]
# ## Small data
# Every parameter costs two loss evaluations: a few samples keep it instant.

# %%
rng = np.random.RandomState(0)
X = rng.randn(20, 4)
y_reg = np.column_stack([np.sin(X[:, 0]), X[:, 1] * X[:, 2]])
y_unit = 1 / (1 + np.exp(-X[:, 0] + X[:, 3]))  # in (0, 1), for a sigmoid output
y_cls = np.digitize(X[:, 0] + X[:, 1], [-0.5, 0.5])  # three classes
weights = rng.uniform(0.2, 3.0, len(X))

# %% [markdown]
# ## One report

# %%
clf = SoftmaxMLPClassifier(
    hidden_layer_sizes=(6, 5), activation="tanh", max_iter=20, random_state=0
).fit(X, y_cls)
print(check_gradients(clf, X, y_cls))

# %% [markdown]
# ## Many networks
# Fitted for a few epochs first, so the weights are not just their initial draw.

# %%
small = {"max_iter": 10, "random_state": 0}
regressor = {"hidden_size": 5, **small}
classifier = {"hidden_layer_sizes": (5,), **small}
cases = [
    (
        "regressor, identity output (seed 002)",
        TwoLayerSigmoidRegressor(**regressor),
        y_reg,
        {},
    ),
    (
        "regressor, sigmoid output, no biases (seeds 000/001/004)",
        TwoLayerSigmoidRegressor(
            output_activation="sigmoid", fit_intercept=False, **regressor
        ),
        y_unit,
        {},
    ),
    (
        "regressor, sample weights, alpha=1",
        TwoLayerSigmoidRegressor(alpha=1.0, **regressor),
        y_reg,
        {"sample_weight": weights},
    ),
    (
        "classifier, relu",
        SoftmaxMLPClassifier(activation="relu", **classifier),
        y_cls,
        {},
    ),
    (
        "classifier, sigmoid",
        SoftmaxMLPClassifier(activation="sigmoid", **classifier),
        y_cls,
        {},
    ),
    (
        "classifier, tanh, 3 hidden layers",
        SoftmaxMLPClassifier(activation="tanh", hidden_layer_sizes=(6, 5, 4), **small),
        y_cls,
        {},
    ),
    (
        "classifier, sample weights, alpha=1",
        SoftmaxMLPClassifier(activation="tanh", alpha=1.0, **classifier),
        y_cls,
        {"sample_weight": weights},
    ),
]
print(f"\n{'network':<58}{'parameters':>11}{'max relative error':>20}")
for name, estimator, target, fit_params in cases:
    estimator.fit(X, target, **fit_params)
    report = check_gradients(estimator, X, target, **fit_params)
    print(f"{name:<58}{report.analytic.size:>11}{report.max_relative_error:>20.2e}")
    assert report.max_relative_error < 1e-6, name

# %% [markdown]
# ## The error against ε

# %%
eps_values = np.logspace(-1, -11, 6 if QUICK else 21)
errors = [
    check_gradients(clf, X, y_cls, eps=eps).max_relative_error for eps in eps_values
]
best = eps_values[int(np.argmin(errors))]
print(f"\nsmallest error {min(errors):.1e} at eps = {best:.0e}")

fig, ax = plt.subplots(figsize=(5.5, 3.6))
ax.loglog(eps_values, errors, marker="o")
ax.axvline(1e-6, color="0.6", ls="--", lw=1, label="default eps = 1e-6")
ax.set_xlabel("finite-difference step ε")
ax.set_ylabel("max relative error")
ax.set_title("check_gradients on a 4–6–5–3 tanh network")
ax.legend()
fig.tight_layout()
fig.savefig(OUTPUT / "gradient_check.png", dpi=80)
