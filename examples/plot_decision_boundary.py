"""Decision boundaries on two moons, one panel per hidden activation.
==================================================================

``SoftmaxMLPClassifier`` with relu, tanh and sigmoid hidden units on
``make_moons``, drawn with scikit-learn's ``DecisionBoundaryDisplay`` (the colour
is ``predict_proba`` of the upper moon). Writes ``decision_boundary.png``.

Run ``python examples/plot_decision_boundary.py --output DIR``; set
``SKBACKPROP_EXAMPLES_QUICK=1`` for a fast run on tiny settings.
"""

# %%
import matplotlib.pyplot as plt
from _setup import example_setup
from sklearn.datasets import make_moons
from sklearn.inspection import DecisionBoundaryDisplay
from sklearn.model_selection import train_test_split

from skbackprop import SoftmaxMLPClassifier

QUICK, OUTPUT, _ = example_setup("Decision boundaries on two moons.")

# %% [markdown]
# ## Data and models
# Two hidden layers of 16 units, L-BFGS; only the activation changes.

# %%
X, y = make_moons(n_samples=100 if QUICK else 300, noise=0.25, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)
models = {
    activation: SoftmaxMLPClassifier(
        hidden_layer_sizes=(16, 16),
        activation=activation,
        solver="lbfgs",
        alpha=0.1,
        max_iter=10 if QUICK else 2000,
        random_state=0,
    ).fit(X_train, y_train)
    for activation in ("relu", "tanh", "sigmoid")
}
for activation, model in models.items():
    print(f"{activation:>7}: test accuracy {model.score(X_test, y_test):.3f}")

# %% [markdown]
# ## The boundaries
# Training points filled, test points hollow.

# %%
fig, axes = plt.subplots(1, 3, figsize=(10.5, 3.6), sharey=True)
for ax, (activation, model) in zip(axes, models.items(), strict=True):
    DecisionBoundaryDisplay.from_estimator(
        model,
        X,
        response_method="predict_proba",
        cmap="RdBu",
        alpha=0.8,
        ax=ax,
        grid_resolution=60 if QUICK else 200,
        vmin=0,
        vmax=1,
    )
    ax.scatter(*X_train.T, c=y_train, cmap="RdBu", edgecolor="k", s=18)
    ax.scatter(*X_test.T, c="none", edgecolor="k", s=18, linewidths=0.8)
    ax.set_title(f"{activation}: test accuracy {model.score(X_test, y_test):.2f}")
    ax.set_xlabel("x₀")
axes[0].set_ylabel("x₁")
fig.suptitle("SoftmaxMLPClassifier(hidden_layer_sizes=(16, 16)) on two moons")
fig.tight_layout()
fig.savefig(OUTPUT / "decision_boundary.png", dpi=80)
