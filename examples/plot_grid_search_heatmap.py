"""Grid search: learning rate × hidden size, as a heatmap of cross-validated accuracy.
===================================================================================

A ``Pipeline(StandardScaler(), SoftmaxMLPClassifier())`` tuned by ``GridSearchCV``
on scikit-learn's digits, exactly as one tunes any scikit-learn estimator. The mean
cross-validated accuracy of every (learning_rate, hidden size) pair is drawn as a
heatmap in ``grid_search_heatmap.png``.

Run ``python examples/plot_grid_search_heatmap.py --output DIR``; set
``SKBACKPROP_EXAMPLES_QUICK=1`` for a fast run on tiny settings.
"""

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
from _setup import example_setup
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skbackprop import SoftmaxMLPClassifier

QUICK, OUTPUT, _ = example_setup("Grid search heatmap.")

# %% [markdown]
# ## The search
# Adam for a fixed budget of epochs: too small a learning rate has not converged
# yet, too large a one is noisy, and more hidden units help up to a point.

# %%
X, y = load_digits(return_X_y=True)
if QUICK:
    X, y = X[:300], y[:300]
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)

learning_rates = [1e-3, 1e-2] if QUICK else [1e-4, 1e-3, 1e-2, 1e-1]
hidden_sizes = [4, 16] if QUICK else [4, 8, 16, 32, 64]
pipe = make_pipeline(
    StandardScaler(),
    SoftmaxMLPClassifier(
        max_iter=3 if QUICK else 40,
        early_stopping=False,
        random_state=0,
    ),
)
search = GridSearchCV(
    pipe,
    {
        "softmaxmlpclassifier__learning_rate": learning_rates,
        "softmaxmlpclassifier__hidden_layer_sizes": [(h,) for h in hidden_sizes],
    },
    cv=3,
    n_jobs=2,
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)  # the small rates
    search.fit(X_train, y_train)
best = search.best_params_
print(
    "best: learning_rate={softmaxmlpclassifier__learning_rate}, "
    "hidden_layer_sizes={softmaxmlpclassifier__hidden_layer_sizes}".format(**best)
)
print(f"cross-validated accuracy {search.best_score_:.3f}")
print(f"test accuracy            {search.score(X_test, y_test):.3f}")

# %% [markdown]
# ## The heatmap
# One row per hidden size, one column per learning rate, read from ``cv_results_``.

# %%
scores = np.empty((len(hidden_sizes), len(learning_rates)))
results = search.cv_results_
for params, score in zip(results["params"], results["mean_test_score"], strict=True):
    (hidden,) = params["softmaxmlpclassifier__hidden_layer_sizes"]
    rate = params["softmaxmlpclassifier__learning_rate"]
    scores[hidden_sizes.index(hidden), learning_rates.index(rate)] = score
fig, ax = plt.subplots(figsize=(5.5, 4.2))
image = ax.imshow(scores, cmap="viridis", vmin=max(0.0, scores.min()), vmax=1.0)
for i, j in np.ndindex(scores.shape):
    colour = "black" if scores[i, j] > scores.mean() else "white"
    ax.text(j, i, f"{scores[i, j]:.3f}", ha="center", va="center", color=colour)
ax.set_xticks(range(len(learning_rates)), [f"{r:g}" for r in learning_rates])
ax.set_yticks(range(len(hidden_sizes)), hidden_sizes)
ax.set_xlabel("learning_rate")
ax.set_ylabel("hidden units")
epochs = pipe[-1].max_iter
ax.set_title(f"Digits, 3-fold CV accuracy (Adam, {epochs} epochs)")
fig.colorbar(image, ax=ax, label="mean accuracy")
fig.tight_layout()
fig.savefig(OUTPUT / "grid_search_heatmap.png", dpi=80)
