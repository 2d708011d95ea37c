"""Out-of-core training: stream a memory-mapped file through ``partial_fit``.
==========================================================================

The data set is written to disk chunk by chunk as a ``numpy.memmap`` and never
loaded whole: a first pass fits a ``StandardScaler`` with ``partial_fit``, then
every epoch streams the chunks, in a fresh random order, through
``SoftmaxMLPClassifier.partial_fit``, which carries Adam's state from call to call.
The held-out accuracy after each epoch is drawn next to that of the same network
trained in memory (``partial_fit`` on the whole array once per epoch, which is
``fit`` with ``max_iter`` epochs). Writes ``out_of_core.png``.

Run ``python examples/out_of_core_partial_fit.py --output DIR``; set
``SKBACKPROP_EXAMPLES_QUICK=1`` for a fast run on tiny settings.
"""

# %%
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from _setup import example_setup
from sklearn.preprocessing import StandardScaler

from skbackprop import SoftmaxMLPClassifier

QUICK, OUTPUT, _ = example_setup("Out-of-core partial_fit.", ignore_convergence="never")

N_SAMPLES = 4_000 if QUICK else 100_000
N_FEATURES = 20
CHUNK = 1_000 if QUICK else 10_000
EPOCHS = 2 if QUICK else 8
CLASSES = np.arange(3)

# %% [markdown]
# ## Write the data set to disk, one chunk at a time
# Three classes separated by a non-linear function of the first features; the
# features have very different scales, so they need standardising.

# %%
workdir = Path(tempfile.mkdtemp())
X_disk = np.memmap(
    workdir / "X.dat", dtype=np.float32, mode="w+", shape=(N_SAMPLES, N_FEATURES)
)
y_disk = np.memmap(workdir / "y.dat", dtype=np.int64, mode="w+", shape=(N_SAMPLES,))
rng = np.random.RandomState(0)
scales = np.logspace(-2, 3, N_FEATURES)
for start in range(0, N_SAMPLES, CHUNK):
    Z = rng.randn(min(CHUNK, N_SAMPLES - start), N_FEATURES)
    signal = Z[:, 0] * Z[:, 1] + np.sin(2 * Z[:, 2]) + 0.5 * Z[:, 3]
    X_disk[start : start + len(Z)] = Z * scales
    y_disk[start : start + len(Z)] = np.digitize(signal, [-0.5, 0.5])
X_disk.flush()
y_disk.flush()
size_mb = (X_disk.nbytes + y_disk.nbytes) / 1e6
print(f"{N_SAMPLES} samples, {size_mb:.1f} MB on disk in {CHUNK}-row chunks")

# Reopen read-only, as a program that did not write the file would.
X_map = np.memmap(workdir / "X.dat", dtype=np.float32, mode="r").reshape(
    N_SAMPLES, N_FEATURES
)
y_map = np.memmap(workdir / "y.dat", dtype=np.int64, mode="r")
chunks = [
    slice(start, min(start + CHUNK, N_SAMPLES)) for start in range(0, N_SAMPLES, CHUNK)
]
train_chunks, test_chunk = chunks[:-1], chunks[-1]  # hold the last chunk out
X_test, y_test = np.asarray(X_map[test_chunk]), np.asarray(y_map[test_chunk])

# %% [markdown]
# ## Pass 1: the scaler, chunk by chunk

# %%
scaler = StandardScaler()
for chunk in train_chunks:
    scaler.partial_fit(X_map[chunk])
X_test_scaled = scaler.transform(X_test)

# %% [markdown]
# ## Passes 2 onwards: one partial_fit per chunk, epoch after epoch


# %%
def network():
    return SoftmaxMLPClassifier(
        hidden_layer_sizes=(64,), learning_rate=1e-3, random_state=0
    )


streamed = network()
streamed_scores = []
order_rng = np.random.RandomState(1)
for epoch in range(EPOCHS):
    for i in order_rng.permutation(len(train_chunks)):
        chunk = train_chunks[i]
        X_chunk = scaler.transform(X_map[chunk])  # float32 in, float32 model
        streamed.partial_fit(X_chunk, y_map[chunk], classes=CLASSES)
    streamed_scores.append(streamed.score(X_test_scaled, y_test))
    print(f"epoch {epoch + 1}: held-out accuracy {streamed_scores[-1]:.3f}")

# %% [markdown]
# ## The same network in memory, for comparison

# %%
train_rows = slice(0, train_chunks[-1].stop)
X_train = scaler.transform(np.asarray(X_map[train_rows]))
y_train = np.asarray(y_map[train_rows])
in_memory = network()
in_memory_scores = []
for _ in range(EPOCHS):
    in_memory.partial_fit(X_train, y_train, classes=CLASSES)
    in_memory_scores.append(in_memory.score(X_test_scaled, y_test))
print(
    f"after {EPOCHS} epochs: streamed {streamed_scores[-1]:.3f}, "
    f"in memory {in_memory_scores[-1]:.3f} (dtype {streamed.coefs_[0].dtype})"
)

fig, ax = plt.subplots(figsize=(5.5, 3.5))
epochs = range(1, EPOCHS + 1)
ax.plot(epochs, streamed_scores, marker="o", label=f"streamed, {CHUNK}-row chunks")
ax.plot(epochs, in_memory_scores, marker="s", ls="--", label="in memory")
ax.set_xlabel("epoch")
ax.set_ylabel("held-out accuracy")
ax.set_title(f"partial_fit over a {size_mb:.0f} MB memmap")
ax.legend(loc="lower right")
fig.tight_layout()
fig.savefig(OUTPUT / "out_of_core.png", dpi=80)

del X_disk, y_disk, X_map, y_map  # release the files before removing them
for name in ("X.dat", "y.dat"):
    (workdir / name).unlink()
workdir.rmdir()
