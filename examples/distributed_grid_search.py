"""Distributed grid search: the same GridSearchCV, run on a Dask cluster.
======================================================================

joblib's Dask backend sends every (candidate, fold) fit of ``GridSearchCV`` to the
workers of a ``dask.distributed`` cluster; neither the estimator nor the search
changes. With ``--scheduler tcp://host:8786`` the script connects to a running
cluster (its workers need skbackprop installed); without it, it starts a
``LocalCluster`` of two single-threaded workers. It then runs the same search on
one local core and checks that both give the same scores.

Run ``python examples/distributed_grid_search.py [--scheduler ADDRESS]``; set
``SKBACKPROP_EXAMPLES_QUICK=1`` for a fast run on tiny settings. Needs the
``distributed`` extra (``dask[distributed]``).
"""

# %%
import time

import joblib
import numpy as np
from _setup import example_setup
from dask.distributed import Client, LocalCluster
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skbackprop import SoftmaxMLPClassifier

QUICK, _, ARGS = example_setup(
    "Grid search on a Dask cluster.",
    ignore_convergence="always",  # small epoch budgets
    figures=False,
    arguments={
        "--scheduler": {
            "default": None,
            "help": "address of a running Dask scheduler, e.g. tcp://host:8786 "
            "(default: start a LocalCluster)",
        }
    },
)

# %% [markdown]
# ## The search: nothing here knows about Dask

# %%
X, y = load_digits(return_X_y=True)
if QUICK:
    X, y = X[:300], y[:300]


def make_search(n_jobs=None):
    pipe = make_pipeline(
        StandardScaler(),
        SoftmaxMLPClassifier(max_iter=5 if QUICK else 50, random_state=0),
    )
    return GridSearchCV(
        pipe,
        {
            "softmaxmlpclassifier__learning_rate": [1e-3, 1e-2],
            "softmaxmlpclassifier__hidden_layer_sizes": (
                [(8,), (32,)] if QUICK else [(8,), (16,), (32,), (64,)]
            ),
        },
        cv=3,
        n_jobs=n_jobs,
    )


# %% [markdown]
# ## On the cluster
# ``joblib.parallel_backend("dask")`` routes the search's parallel loop to the
# client's cluster.

# %%
if ARGS.scheduler is None:
    # Worker threads in this process: nothing to install, quick to start.
    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    )
    client = Client(cluster)
else:
    cluster = None
    client = Client(ARGS.scheduler)
n_workers = len(client.scheduler_info()["workers"])
print(f"scheduler {client.scheduler.address} with {n_workers} workers")

start = time.perf_counter()
with joblib.parallel_backend("dask"):
    on_cluster = make_search().fit(X, y)
cluster_seconds = time.perf_counter() - start
client.close()
if cluster is not None:
    cluster.close()

# %% [markdown]
# ## The same search on one core, for comparison

# %%
start = time.perf_counter()
serial = make_search(n_jobs=1).fit(X, y)
serial_seconds = time.perf_counter() - start

results = on_cluster.cv_results_
print(f"\n{'learning_rate':>14} {'hidden':>8} {'accuracy':>9} {'serial':>8}")
for params, score, serial_score in zip(
    results["params"],
    results["mean_test_score"],
    serial.cv_results_["mean_test_score"],
    strict=True,
):
    rate = params["softmaxmlpclassifier__learning_rate"]
    (hidden,) = params["softmaxmlpclassifier__hidden_layer_sizes"]
    print(f"{rate:>14g} {hidden:>8d} {score:>9.4f} {serial_score:>8.4f}")
print(f"\nbest parameters: {on_cluster.best_params_}")
print(f"cluster {cluster_seconds:.1f} s, one core {serial_seconds:.1f} s")
same = on_cluster.best_params_ == serial.best_params_ and np.array_equal(
    results["mean_test_score"], serial.cv_results_["mean_test_score"]
)
print("same results as the serial search:", same)
assert same, "the distributed search differs from the serial one"
