"""The seeds' network, by hand and by the library: W1, W2 and their gradients.
===========================================================================

The seed notes derive the gradients of a bias-free network with three inputs,
four sigmoid hidden units and one sigmoid output, trained on the squared error
``L = 1/(2N) Σ_i (Y_i − ŷ_i)²`` by plain gradient descent. That network is
``TwoLayerSigmoidRegressor(hidden_size=4, output_activation="sigmoid",
fit_intercept=False, solver="gd", alpha=0)``. This script prints W1 and W2 and
their gradients twice — from ``loss_and_gradients`` and from the seed formulas
written as literal sums over i, k and l — checks that one ``partial_fit`` is the
seeds' update ``W ← W − α ∂L/∂W``, and plots the training loss in
``seed_network_loss.png``.

Run ``python examples/seed_network.py --output DIR``; set
``SKBACKPROP_EXAMPLES_QUICK=1`` for a fast run on tiny settings.
"""

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
from _setup import example_setup
from sklearn.exceptions import ConvergenceWarning

from skbackprop import TwoLayerSigmoidRegressor

QUICK, OUTPUT, _ = example_setup(
    "The seeds' network by hand.", ignore_convergence="never"
)
np.set_printoptions(precision=6, suppress=True)

# %% [markdown]
# ## Data and network
# N = 8 samples of 3 features; targets in [0, 1], as the sigmoid output needs.

# %%
rng = np.random.RandomState(0)
X = rng.uniform(-1, 1, size=(8, 3))  # (N, 3)
Y = 1 / (1 + np.exp(-(X @ [1.5, -2.0, 0.5])))  # (N,), in (0, 1)
N = len(Y)
LEARNING_RATE = 2.0


def seed_network(max_iter=1):
    return TwoLayerSigmoidRegressor(
        hidden_size=4,
        output_activation="sigmoid",
        fit_intercept=False,
        solver="gd",
        learning_rate=LEARNING_RATE,
        alpha=0.0,  # the seeds have no L2 term
        max_iter=max_iter,
        tol=0.0,
        random_state=0,
    )


net = seed_network()
net.partial_fit(X, Y)  # initialises W1, W2 and takes one step
W1, W2 = (W.copy() for W in net.coefs_)  # (3, 4), (4, 1)
print("W1 =\n", W1, "\nW2 =\n", W2.ravel())

# %% [markdown]
# ## Forward pass (seed 004, eqs. 2–5)
# H = X W1,  Z = σ(H),  O = Z W2,  ŷ = σ(O)


# %%
def sigma(a):
    return 1 / (1 + np.exp(-a))


H = X @ W1  # (N, 4)
Z = sigma(H)  # (N, 4)
O = Z @ W2[:, 0]  # (N,)  # noqa: E741 (the seeds' name)
y_hat = sigma(O)  # (N,)
loss = np.sum((Y - y_hat) ** 2) / (2 * N)
print("ŷ by hand  ", y_hat)
print("net.predict", net.predict(X))

# %% [markdown]
# ## The seed formulas, as literal sums
# - ∂L/∂W2[k] = Σ_i −(1/N)(Y_i − ŷ_i) ŷ_i(1 − ŷ_i) Z_ik
#   (seed 001 eq. 5, seed 004 eq. 7)
# - ∂L/∂W1[k,l] = Σ_i −(1/N)(Y_i − ŷ_i) ŷ_i(1 − ŷ_i) W2[l] Z_il(1 − Z_il) X_ik
#   (seed 001 eq. 10, seed 004 eq. 9)

# %%
dW2_seed = np.zeros(4)
for k in range(4):
    for i in range(N):
        dW2_seed[k] += (
            -(1 / N) * (Y[i] - y_hat[i]) * y_hat[i] * (1 - y_hat[i]) * Z[i, k]
        )

dW1_seed = np.zeros((3, 4))
for k in range(3):
    for l in range(4):  # noqa: E741 (the seeds' index name)
        for i in range(N):
            dW1_seed[k, l] += (
                -(1 / N)
                * (Y[i] - y_hat[i])
                * y_hat[i]
                * (1 - y_hat[i])
                * W2[l, 0]
                * Z[i, l]
                * (1 - Z[i, l])
                * X[i, k]
            )

# %% [markdown]
# ## The library's gradients, side by side

# %%
library_loss, (dW1, dW2), _ = net.loss_and_gradients(X, Y)
print(f"\nL by hand {loss:.12f}   loss_and_gradients {library_loss:.12f}")
print("\n∂L/∂W2        loss_and_gradients    seed formula")
for k in range(4):
    print(f"  W2[{k}]      {dW2[k, 0]: .12f}      {dW2_seed[k]: .12f}")
print("\n∂L/∂W1        loss_and_gradients    seed formula")
for k in range(3):
    for l in range(4):  # noqa: E741
        print(f"  W1[{k},{l}]    {dW1[k, l]: .12f}      {dW1_seed[k, l]: .12f}")
gap = max(np.abs(dW1 - dW1_seed).max(), np.abs(dW2[:, 0] - dW2_seed).max())
print(f"\nlargest difference: {gap:.1e}")
assert gap < 1e-12, "the library's gradients differ from the seed formulas"

# %% [markdown]
# ## One gradient-descent step (seed 002): W ← W − α ∂L/∂W

# %%
net.partial_fit(X, Y)
step_W1 = W1 - LEARNING_RATE * dW1_seed
step_W2 = W2[:, 0] - LEARNING_RATE * dW2_seed
print("W1 after partial_fit == W1 − α ∂L/∂W1:", np.allclose(net.coefs_[0], step_W1))
print(
    "W2 after partial_fit == W2 − α ∂L/∂W2:", np.allclose(net.coefs_[1][:, 0], step_W2)
)
assert np.allclose(net.coefs_[0], step_W1, rtol=1e-12, atol=1e-15)
assert np.allclose(net.coefs_[1][:, 0], step_W2, rtol=1e-12, atol=1e-15)

# %% [markdown]
# ## Repeat until it converges

# %%
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)  # a fixed number of steps
    trained = seed_network(max_iter=20 if QUICK else 3000).fit(X, Y)
print(f"\nloss after {trained.n_iter_} steps: {trained.loss_:.2e}")
fig, ax = plt.subplots(figsize=(5, 3.2))
ax.plot(range(1, trained.n_iter_ + 1), trained.loss_curve_)
ax.set_yscale("log")
ax.set_xlabel("gradient-descent step")
ax.set_ylabel("L = 1/(2N) Σ (Y − ŷ)²")
ax.set_title("The seeds' 3–4–1 sigmoid network")
fig.tight_layout()
fig.savefig(OUTPUT / "seed_network_loss.png", dpi=80)
