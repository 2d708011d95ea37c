"""Vanishing gradients: a deep sigmoid network against a deep relu network.
========================================================================

Both classifiers have six hidden layers of 32 units and train on the digits with
the same solver, data and random state; only the hidden activation differs. A
``GradientMonitor`` records, after every epoch, the norm of each layer's weight
gradient. The sigmoid's derivative is at most ¼, and the backward recursion
δ_{k−1} = (δ_k W_kᵀ) ⊙ g'(a_{k−1}) multiplies one such factor per layer: the first
layer's gradient of the sigmoid stack is orders of magnitude below the output
layer's, and below the relu stack's first layer, whose derivative is 1 wherever a
unit is active. The figure is ``vanishing_gradients.png``.

Run ``python examples/plot_vanishing_gradients.py --output DIR``; set
``SKBACKPROP_EXAMPLES_QUICK=1`` for a fast run on tiny settings.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from _setup import example_setup
from sklearn.datasets import load_digits

from skbackprop import SoftmaxMLPClassifier
from skbackprop.callbacks import GradientMonitor

QUICK, OUTPUT, _ = example_setup("Vanishing gradients.", ignore_convergence="always")

X, y = load_digits(return_X_y=True)
X = X / 16.0  # pixels in [0, 1]
if QUICK:
    X, y = X[:300], y[:300]
EPOCHS = 3 if QUICK else 30

# %% [markdown]
# ## Two six-layer networks, one monitor each

# %%
histories = {}
for activation in ("sigmoid", "relu"):
    monitor = GradientMonitor()
    clf = SoftmaxMLPClassifier(
        hidden_layer_sizes=(32,) * 6,
        activation=activation,
        solver="sgd",
        learning_rate=0.05,
        max_iter=EPOCHS,
        n_iter_no_change=EPOCHS + 1,
        random_state=0,
    )
    clf.set_callbacks(monitor).fit(X, y)
    histories[activation] = pd.DataFrame(monitor.history)
    print(f"{activation:8s} training accuracy {clf.score(X, y):.3f}")

# %% [markdown]
# ## The first layer's gradient, sigmoid against relu

# %%
first = {
    name: frame[frame["layer"] == 1]["grad_norm"].to_numpy()
    for name, frame in histories.items()
}
ratio = np.median(first["relu"] / first["sigmoid"])
print(f"first-layer gradient norm, median over epochs: relu / sigmoid = {ratio:.0f}")
assert ratio > 100, "the sigmoid stack's first-layer gradient should vanish"
print(histories["sigmoid"].groupby("layer")[["grad_norm", "saturated"]].median())

# %%
fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), sharey=True)
colors = plt.cm.viridis(np.linspace(0, 0.9, 7))
for ax, (name, frame) in zip(axes, histories.items(), strict=True):
    for layer, rows in frame.groupby("layer"):
        label = f"layer {layer}" + (" (output)" if layer == 7 else "")
        ax.plot(rows["epoch"], rows["grad_norm"], color=colors[layer - 1], label=label)
    ax.set_yscale("log")
    ax.set_title(f"{name}, six hidden layers")
    ax.set_xlabel("epoch")
axes[0].set_ylabel("‖∇W_k L‖ (GradientMonitor)")
axes[1].legend(fontsize=8, loc="lower right")
fig.suptitle("Per-layer gradient norms on the digits: the sigmoid stack's vanish")
fig.tight_layout()
fig.savefig(OUTPUT / "vanishing_gradients.png", dpi=80)
