"""One gradient-descent step of the seeds' network, read from ``backprop_trace``.
==============================================================================

The seed notes derive the gradients of a bias-free network with three inputs, four
sigmoid hidden units and one sigmoid output, trained on ``L = 1/(2N) Σ (Y − ŷ)²``.
``backprop_trace`` records every quantity of one forward and backward pass of the
estimator's own training code; this script prints each one beside the seed
equation it comes from and the label of ``docs/derivations.md`` that restates it,
checks it against the seed formula computed here by hand, takes the step
``W ← W − α ∂L/∂W`` (seed 002) with ``partial_fit``, and draws the gradients in
``seed_network_trace.png``.

Run ``python examples/seed_network_trace.py --output DIR``; set
``SKBACKPROP_EXAMPLES_QUICK=1`` for a fast run (this one is fast anyway).
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from _setup import example_setup

from skbackprop import TwoLayerSigmoidRegressor

QUICK, OUTPUT, _ = example_setup("The seeds' network, traced.")
np.set_printoptions(precision=5, suppress=True)

rng = np.random.RandomState(0)
X = rng.uniform(-1, 1, size=(8, 3))  # (N, 3)
Y = 1 / (1 + np.exp(-(X @ [1.5, -2.0, 0.5])))  # (N,), in (0, 1)
N, LEARNING_RATE = len(Y), 2.0

net = TwoLayerSigmoidRegressor(
    hidden_size=4,
    output_activation="sigmoid",
    fit_intercept=False,
    solver="gd",
    learning_rate=LEARNING_RATE,
    alpha=0.0,  # the seeds have no L2 term
    random_state=0,
)
net.partial_fit(X, Y)  # draws W1, W2 (and takes a first step)

# %% [markdown]
# ## The trace at the current weights
# ``print(trace)`` is the overview: one row per layer, the norms of a, h, δ and
# the gradients, and the labels of the equations that produce them.

# %%
trace = net.backprop_trace(X, Y)
print(trace)
hidden, output = trace.layers
W1, W2 = (W.copy() for W in net.coefs_)  # (3, 4), (4, 1)

# %% [markdown]
# ## Each quantity beside its seed equation
# The right-hand column is the seed formula evaluated here by hand.


# %%
def sigma(a):
    return 1 / (1 + np.exp(-a))


H = X @ W1
Z = sigma(H)
O = Z @ W2  # noqa: E741 (the seeds' name)
y_hat = sigma(O)
delta_O = -(1 / N) * (Y[:, None] - y_hat) * y_hat * (1 - y_hat)
delta_H = (delta_O @ W2.T) * Z * (1 - Z)
by_hand = [
    ("H = X W1", "seed 004 eq. (2)", "E1", hidden.a, H),
    ("Z = σ(H)", "seed 004 eq. (3)", "E1", hidden.h, Z),
    ("O = Z W2", "seed 004 eq. (4)", "E1", output.a, O),
    ("ŷ = σ(O)", "seed 004 eq. (5)", "E1", output.h, y_hat),
    (
        "∂L/∂O = −(1/N)(Y − ŷ) ŷ(1 − ŷ)",
        "seed 000 eqs. (3), (5)",
        "E3",
        output.delta,
        delta_O,
    ),
    ("∂L/∂W2 = Zᵀ ∂L/∂O", "seed 004 eq. (7)", "E4", output.coef_grad, Z.T @ delta_O),
    (
        "∂L/∂H = (∂L/∂O W2ᵀ) ⊙ Z(1 − Z)",
        "seed 000 eqs. (13), (14)",
        "E5",
        hidden.delta,
        delta_H,
    ),
    ("∂L/∂W1 = Xᵀ ∂L/∂H", "seed 004 eq. (9)", "E6", hidden.coef_grad, X.T @ delta_H),
]
loss = np.sum((Y - y_hat[:, 0]) ** 2) / (2 * N)
print("\nL = 1/(2N) Σ (Y − ŷ)²   seed 004 eq. (1), E2")
print(f"  trace {trace.loss:.12f}   by hand {loss:.12f}")
assert np.isclose(trace.loss, loss, rtol=1e-12)
for name, seed, label, traced, seed_value in by_hand:
    print(f"\n{name}   {seed}, {label}   shape {traced.shape}")
    print("  trace  ", traced.ravel()[:8])
    print("  by hand", seed_value.ravel()[:8])
    assert np.allclose(traced, seed_value, rtol=1e-10, atol=1e-15), name
print("\ntrace matches the seed formulas: True")

# %% [markdown]
# ## The step: W ← W − α ∂L/∂W (seed 002)

# %%
net.partial_fit(X, Y)
for name, W, grad, after in (
    ("W1", W1, hidden.coef_grad, net.coefs_[0]),
    ("W2", W2, output.coef_grad, net.coefs_[1]),
):
    stepped = W - LEARNING_RATE * grad
    same = np.allclose(after, stepped, rtol=1e-12, atol=1e-15)
    print(f"{name} after partial_fit == {name} − α ∂L/∂{name} (trace): {same}")
    assert same

# %%
fig, axes = plt.subplots(1, 2, figsize=(6.4, 3.0), width_ratios=[4, 1.4])
titles = ["∂L/∂W1 (E6)", "∂L/∂W2 (E4)"]
for ax, record, title in zip(axes, trace.layers, titles, strict=True):
    grad = record.coef_grad
    bound = np.abs(grad).max()
    image = ax.imshow(grad, cmap="RdBu_r", vmin=-bound, vmax=bound)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("unit")
    ax.set_xticks(range(grad.shape[1]))
    ax.set_yticks(range(grad.shape[0]))
    fig.colorbar(image, ax=ax, shrink=0.8, format="%.0e")
axes[0].set_ylabel("input")
fig.suptitle("The seeds' 3–4–1 network: gradients from backprop_trace", fontsize=10)
fig.tight_layout()
fig.savefig(OUTPUT / "seed_network_trace.png", dpi=80)
