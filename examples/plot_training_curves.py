"""Watching and steering training: validation curves and learning-rate schedules.
==============================================================================

A ``TwoLayerSigmoidRegressor`` on Friedman's regression problem #1. The left panel
draws the training loss (``loss_curve_``) and the loss on validation data given to
``fit`` (``validation_loss_curve_``), with early stopping on that validation loss
(``scoring="loss"``): training ends ``n_iter_no_change`` epochs after the best
epoch, and the weights of the best epoch are kept. The right panel draws
``learning_rate_curve_`` for each ``learning_rate_schedule``. Writes
``training_curves.png``.

Run ``python examples/plot_training_curves.py --output DIR``; set
``SKBACKPROP_EXAMPLES_QUICK=1`` for a fast run on tiny settings.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from _setup import example_setup
from sklearn.datasets import make_friedman1
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skbackprop import TwoLayerSigmoidRegressor

QUICK, OUTPUT, _ = example_setup(
    "Validation curves and learning-rate schedules.", ignore_convergence="always"
)

# %% [markdown]
# ## Validation data of your own, early stopping on its loss
# ``X_val, y_val`` go to ``fit`` as in HistGradientBoosting: early stopping scores
# them instead of holding out ``validation_fraction`` of the training data.

# %%
X, y = make_friedman1(n_samples=300, noise=1.0, random_state=0)
X_train, X_val, y_train, y_val = train_test_split(X, y, random_state=0)
scaler = StandardScaler().fit(X_train)
X_train, X_val = scaler.transform(X_train), scaler.transform(X_val)

max_iter = 20 if QUICK else 300
watched = TwoLayerSigmoidRegressor(
    hidden_size=64,
    solver="sgd",
    learning_rate=0.05,
    alpha=0.0,
    max_iter=max_iter,
    early_stopping=True,
    scoring="loss",
    n_iter_no_change=30,
    random_state=0,
).fit(X_train, y_train, X_val=X_val, y_val=y_val)
best = int(np.argmax(watched.validation_scores_))
print(
    f"early stopping on the validation loss: {watched.n_iter_} epochs, best epoch "
    f"{best + 1}, validation R² {watched.score(X_val, y_val):.3f}"
)

# %% [markdown]
# ## One fit per learning-rate schedule
# The same network and solver; only ``learning_rate_schedule`` changes. With the
# constant rate a plateau (no improvement by ``tol`` for ``n_iter_no_change``
# epochs) ends training; ``"adaptive"`` divides the rate by 5 and carries on.

# %%
schedules = {}
for schedule in ["constant", "invscaling", "adaptive", "cosine"]:
    schedules[schedule] = TwoLayerSigmoidRegressor(
        hidden_size=64,
        solver="sgd",
        learning_rate=0.05,
        learning_rate_schedule=schedule,
        power_t=0.25,
        max_iter=max_iter,
        tol=1e-3,
        n_iter_no_change=5,
        random_state=0,
    ).fit(X_train, y_train)
    model = schedules[schedule]
    print(
        f"{schedule:>10}: {model.n_iter_:3d} epochs, validation R² "
        f"{model.score(X_val, y_val):.3f}"
    )

# %% [markdown]
# ## The curves

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
epochs = np.arange(1, watched.n_iter_ + 1)
left.plot(epochs, watched.loss_curve_, label="training (loss_curve_)")
left.plot(
    epochs, watched.validation_loss_curve_, label="validation (validation_loss_curve_)"
)
left.axvline(best + 1, color="grey", linestyle=":", label=f"best epoch ({best + 1})")
left.set_yscale("log")
left.set_xlabel("epoch")
left.set_ylabel("loss  ½ mean squared error")
left.set_title('early stopping with scoring="loss"')
left.legend()
for name, model in schedules.items():
    wide = {"linewidth": 4, "alpha": 0.4} if name == "constant" else {}
    epochs = np.arange(1, model.n_iter_ + 1)
    right.plot(epochs, model.learning_rate_curve_, label=name, **wide)
right.set_yscale("log")
right.set_xlabel("epoch")
right.set_ylabel("learning rate")
right.set_title("learning_rate_curve_ per learning_rate_schedule")
right.legend()
fig.suptitle("TwoLayerSigmoidRegressor (sgd, 64 sigmoid units) on make_friedman1")
fig.tight_layout()
fig.savefig(OUTPUT / "training_curves.png", dpi=80)
