"""A sigmoid output on raw targets: rescale y with TransformedTargetRegressor.
===========================================================================

The seeds' network ends in a sigmoid, ``ŷ = σ(O)``, so it predicts values in
(0, 1) and ``TwoLayerSigmoidRegressor(output_activation="sigmoid")`` refuses
targets outside [0, 1]. Wrapped in scikit-learn's ``TransformedTargetRegressor``
with a ``MinMaxScaler``, it trains on y rescaled to [0, 1] and predicts in the
original units — and never predicts beyond the range of y seen in training,
which the linear output of seed 002 may. Writes ``sigmoid_output_regression.png``.

Run ``python examples/plot_sigmoid_output_regression.py --output DIR``; set
``SKBACKPROP_EXAMPLES_QUICK=1`` for a fast run on tiny settings.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from _setup import example_setup
from sklearn.compose import TransformedTargetRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from skbackprop import TwoLayerSigmoidRegressor

QUICK, OUTPUT, _ = example_setup("Sigmoid output regression.")

# %% [markdown]
# ## A rising, wavy target far outside [0, 1]

# %%
rng = np.random.RandomState(0)
x = np.sort(rng.uniform(0, 10, 60 if QUICK else 240))
y = 5 + 2 * x + 2 * np.sin(1.5 * x) + 0.7 * rng.randn(x.size)
X = x.reshape(-1, 1)


def network(output_activation):
    return make_pipeline(
        StandardScaler(),
        TwoLayerSigmoidRegressor(
            hidden_size=8,
            output_activation=output_activation,
            solver="lbfgs",
            alpha=1e-3,
            # the rescaled targets give small gradients: a tight tolerance
            # keeps L-BFGS from stopping early
            tol=1e-8,
            max_iter=20 if QUICK else 5000,
            random_state=0,
        ),
    )


try:
    network("sigmoid").fit(X, y)
except ValueError as error:
    print(f"fit on raw targets: ValueError: {error}\n")

# %% [markdown]
# ## The fix: fit on MinMaxScaler(y), predict in the original units

# %%
sigmoid_model = TransformedTargetRegressor(
    regressor=network("sigmoid"), transformer=MinMaxScaler()
).fit(X, y)
linear_model = network("identity").fit(X, y)
for name, model in (("sigmoid", sigmoid_model), ("identity", linear_model)):
    print(f"{name:>8} output: training R² {model.score(X, y):.3f}")

# %% [markdown]
# ## Inside and outside the training range
# Beyond the data the sigmoid output levels off inside [min y, max y]; the
# identity output is bounded only by its weights and may leave that range.

# %%
grid = np.linspace(-4, 14, 400).reshape(-1, 1)
low, high = y.min(), y.max()
fig, ax = plt.subplots(figsize=(7, 3.8))
ax.axhspan(low, high, color="0.93", label="range of y in training")
ax.scatter(x, y, s=8, color="0.5", label="data")
ax.plot(grid, sigmoid_model.predict(grid), color="C1", lw=2, label="sigmoid output")
ax.plot(grid, linear_model.predict(grid), color="C0", ls="--", label="identity output")
ax.axvspan(-4, 0, color="C3", alpha=0.06, label="outside the training x")
ax.axvspan(10, 14, color="C3", alpha=0.06)
ax.set_xlabel("x")
ax.set_ylabel("y")
ax.set_title("TransformedTargetRegressor(MinMaxScaler) + sigmoid output")
ax.legend(loc="upper left", fontsize="small")
fig.tight_layout()
fig.savefig(OUTPUT / "sigmoid_output_regression.png", dpi=80)

inside = sigmoid_model.predict(grid)
assert low - 1e-9 <= inside.min() and inside.max() <= high + 1e-9
