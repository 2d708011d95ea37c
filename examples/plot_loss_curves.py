"""Loss curves: the four solvers side by side on the same network.
===============================================================

One ``SoftmaxMLPClassifier`` (digits, 32 relu units) trained by each solver:
full-batch gradient descent (``"gd"``, the seeds' update), minibatch SGD with
momentum, Adam, and L-BFGS. The left panel draws ``loss_curve_`` (one point per
epoch, or per L-BFGS iteration); the right panel ``validation_scores_``, the
held-out accuracy that early stopping watches (the stepping solvers only). Writes
``loss_curves.png``.

Run ``python examples/plot_loss_curves.py --output DIR``; set
``SKBACKPROP_EXAMPLES_QUICK=1`` for a fast run on tiny settings.
"""

# %%
import matplotlib.pyplot as plt
from _setup import example_setup
from sklearn.datasets import load_digits
from sklearn.preprocessing import StandardScaler

from skbackprop import SoftmaxMLPClassifier

QUICK, OUTPUT, _ = example_setup("Loss curves per solver.")

# %% [markdown]
# ## One network, four solvers
# The stepping solvers hold out 10 % of the data and stop once the validation
# accuracy has not improved for 20 epochs; L-BFGS stops on its gradient tolerance.

# %%
X, y = load_digits(return_X_y=True)
if QUICK:
    X, y = X[:300], y[:300]
X = StandardScaler().fit_transform(X)

solvers = {
    "gd": {"solver": "gd", "learning_rate": 0.5},
    "sgd": {"solver": "sgd", "learning_rate": 0.01, "momentum": 0.9},
    "adam": {"solver": "adam", "learning_rate": 1e-3},
    "lbfgs": {"solver": "lbfgs"},
}
models = {}
for name, params in solvers.items():
    models[name] = SoftmaxMLPClassifier(
        hidden_layer_sizes=(32,),
        max_iter=5 if QUICK else 300,
        early_stopping=name != "lbfgs",
        n_iter_no_change=20,
        random_state=0,
        **params,
    ).fit(X, y)
    model = models[name]
    validation = model.best_validation_score_
    shown = "" if validation is None else f", best validation accuracy {validation:.3f}"
    print(f"{name:>5}: {model.n_iter_:3d} epochs, final loss {model.loss_:.2e}{shown}")

# %% [markdown]
# ## The curves

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6))
for colour, (name, model) in zip(["C0", "C1", "C2", "C3"], models.items(), strict=True):
    epochs = range(1, model.n_iter_ + 1)
    left.plot(epochs, model.loss_curve_, color=colour, label=name)
    if model.validation_scores_ is not None:
        right.plot(epochs, model.validation_scores_, color=colour, label=name)
left.set_yscale("log")
left.set_xlabel("epoch (L-BFGS: iteration)")
left.set_ylabel("training loss  (cross-entropy + L2)")
left.set_title("loss_curve_")
left.legend()
right.set_xlabel("epoch")
right.set_ylabel("held-out accuracy")
right.set_title("validation_scores_ (early stopping)")
right.legend(loc="lower right")
fig.suptitle("SoftmaxMLPClassifier on digits, 32 relu units")
fig.tight_layout()
fig.savefig(OUTPUT / "loss_curves.png", dpi=80)
