"""Data-parallel L-BFGS on Dask: every worker computes its chunks' gradients.

``fit`` with a Dask array (or DataFrame) and ``solver="lbfgs"`` (or ``"gd"``)
trains on data that stays on the workers of a ``dask.distributed`` cluster: each
L-BFGS evaluation sends the parameter vector to the workers once, every worker
runs the same manual backpropagation on its own chunks, and only the summed loss
and gradient come back to the client, where scipy's L-BFGS-B takes the step. The
script generates the data on the workers (it is never in the client's memory),
fits ``BackpropMLPRegressor`` there, then checks that the model equals the
in-memory fit on the computed arrays and draws both loss curves. Writes
``dask_lbfgs.png``.

Run ``python examples/dask_lbfgs.py [--scheduler ADDRESS]``; set
``SKBACKPROP_EXAMPLES_QUICK=1`` for a fast run on tiny settings. Needs the
``distributed`` extra (``dask[distributed]``).
"""

# %%
import time

import dask
import dask.array as da
import matplotlib.pyplot as plt
import numpy as np
from _setup import example_setup
from dask.distributed import Client, LocalCluster

from skbackprop import BackpropMLPRegressor

QUICK, OUTPUT, ARGS = example_setup(
    "Data-parallel L-BFGS on a Dask cluster.",
    ignore_convergence="always",  # a fixed iteration budget
    arguments={
        "--scheduler": {
            "default": None,
            "help": "address of a running Dask scheduler, e.g. tcp://host:8786 "
            "(default: start a LocalCluster of two worker threads)",
        }
    },
)
N_SAMPLES = 6_000 if QUICK else 200_000
CHUNK = 1_000 if QUICK else 20_000
N_FEATURES = 10
MAX_ITER = 15 if QUICK else 100

# %% [markdown]
# ## A cluster, and data made on its workers
# ``da.random`` draws each chunk where it will be used; ``persist`` keeps the
# chunks in the workers' memory so each evaluation reads them from there.

# %%
if ARGS.scheduler:
    client = Client(ARGS.scheduler)
else:
    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
    )
    client = Client(cluster)
X = da.random.RandomState(0).normal(size=(N_SAMPLES, N_FEATURES), chunks=CHUNK)
y = da.sin(X[:, 0]) + X[:, 1] * X[:, 2] - 0.5 * X[:, 3]
X, y = X.persist(), y.persist()
print(f"X: {X.shape}, {X.numblocks[0]} chunks of {CHUNK} rows, on the workers")

# %% [markdown]
# ## The data-parallel fit
# The same estimator and parameters as in memory; only X and y are Dask arrays.

# %%
settings = {
    "hidden_layer_sizes": (32,),
    "solver": "lbfgs",
    "max_iter": MAX_ITER,
    "random_state": 0,
}
start = time.perf_counter()
on_dask = BackpropMLPRegressor(**settings).fit(X, y)
print(f"Dask fit: {on_dask.n_iter_} iterations, {time.perf_counter() - start:.2f}s")

# %% [markdown]
# ## The same model as in memory
# The in-memory fit on the computed arrays follows the same L-BFGS path: the
# chunks' sums differ from the whole's only by rounding.

# %%
X_memory, y_memory = dask.compute(X, y)
in_memory = BackpropMLPRegressor(**settings).fit(X_memory, y_memory)
same = all(
    np.allclose(a, b, rtol=1e-9, atol=1e-9)
    for a, b in zip(
        on_dask.coefs_ + on_dask.intercepts_,
        in_memory.coefs_ + in_memory.intercepts_,
        strict=True,
    )
) and np.allclose(on_dask.loss_curve_, in_memory.loss_curve_, rtol=1e-9)
print(f"same model as in memory: {same}")
assert same
client.close()

# %%
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(in_memory.loss_curve_, lw=4, alpha=0.4, label="in memory")
ax.plot(on_dask.loss_curve_, "k--", label="Dask, 2 workers")
ax.set(xlabel="L-BFGS iteration", ylabel="training loss", yscale="log")
ax.set_title("Data-parallel L-BFGS: the same loss curve")
ax.legend()
fig.tight_layout()
fig.savefig(OUTPUT / "dask_lbfgs.png", dpi=100)
