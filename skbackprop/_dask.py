"""Data-parallel training on Dask: L-BFGS and gd over chunks the workers hold.

Map the gradient, reduce on the client (dask-glm's ``lbfgs``, Spark ML's MLP). The
full-batch objective of SPEC §1 is a weighted sum over samples, so over the chunks
c of the data

    L(θ) = (1/N) Σ_c n_c L_c(θ) + α/(2N) Σ_k ‖W_k‖²,      N = Σ_c n_c,

where L_c is the data term of chunk c alone (alpha = 0), normalised by the chunk's
own weight n_c = Σ_{i∈c} w_i, and ∇L is the same sum of the chunks' gradients.
Whatever constant the loss divides by, n_c L_c is the chunk's share of N L.

Each evaluation sends θ to the workers once; every worker validates its chunk with
the estimator's own checks and target encoding and runs the engine's
``loss_and_gradients`` on it; the sums come back (one number and one θ-sized
vector) and the L2 term is added once, on the client, where scipy's L-BFGS-B or
the gd update runs through the same training loops as in memory
(``_runner.full_batch_objective``). X is never gathered on the client.

Validation: the number of features, their names and the dtype come from the
collections' metadata; the classes (classifiers) or the targets' extremes
(regressors) from one pass over y; every other check (NaN or inf in a chunk,
lengths that differ, negative weights) from one pass over the chunks, which also
sums their weights. All of it runs before the first random draw.

Chunks of another array API namespace (CuPy, torch, array-api-strict …) under
``array_api_dispatch=True`` compute where they are, as an in-memory X of that
namespace does: each worker validates its chunk in the chunk's namespace, moves θ
to the chunk's device, runs the same engine there and returns the loss and the
gradient to the client as host float64. The client keeps θ in numpy (scipy's
L-BFGS-B and the gd step run there), so the fitted model is numpy's whatever the
chunks; ``move_estimator_to`` puts it on a device. scikit-learn's configuration is
thread-local and does not travel with a task: every worker function runs under
the client's configuration of the fit (``_task``), array API dispatch included
only when a chunk needs it.

Nothing here imports dask at import time: ``import skbackprop`` stays numpy,
scipy and scikit-learn, and dask is imported only once a dask collection is in
hand (then it is in ``sys.modules`` already).
"""

import copy
import sys

import numpy as np
import scipy.sparse as sp
from sklearn import config_context, get_config
from sklearn.utils.validation import _check_y, check_array, validate_data

from ._callbacks import CALLBACK_STATE
from ._custom_activations import check_activation_in
from ._inplace import add_scaled_inplace
from ._inputs import FLOAT_DTYPES, input_namespace, to_host
from ._network import l2_penalty, loss_and_gradients
from ._parameters import Parameters
from ._xp import array_device, array_namespace, numpy_dtype

DATA_PARALLEL_SOLVERS = ("lbfgs", "gd")
_FAN_IN = 8  # chunk results summed per task of the reduction tree


def is_dask_collection(value):
    """Whether ``value`` is a Dask collection, without importing dask."""
    dask = sys.modules.get("dask")
    return dask is not None and dask.is_dask_collection(value)


def _rechunkable(collection):
    """Whether Dask itself can rechunk and concatenate the chunks: numpy, scipy
    sparse and CuPy chunks, and the partitions of a DataFrame or Series."""
    if hasattr(collection, "divisions"):
        return True
    meta = collection._meta
    if isinstance(meta, np.ndarray) or sp.issparse(meta):
        return True
    return type(meta).__module__.partition(".")[0] in ("cupy", "cupyx")


def _gathered(collection):
    """A Dask collection computed into one in-memory array (on the host when its
    chunks are of a namespace Dask cannot concatenate: one row block at a time)."""
    import dask

    if _rechunkable(collection):
        return collection.compute()
    blocks = dask.compute(*_array_row_blocks(collection))
    return np.concatenate([to_host(block) for block in blocks])


def gather_validation_data(X_val, y_val, sample_weight_val):
    """Validation data in memory: a Dask ``X_val`` (and its targets and weights)
    is computed once, on the client, and scored there after every iteration."""
    return tuple(
        _gathered(a) if is_dask_collection(a) else a
        for a in (X_val, y_val, sample_weight_val)
    )


def _refuse_unsupported(estimator, incremental, splits):
    if estimator.solver not in DATA_PARALLEL_SOLVERS:
        method = "partial_fit" if incremental else "fit"
        raise ValueError(
            f"{type(estimator).__name__}.{method} with solver="
            f"{estimator.solver!r} cannot train on a Dask collection: the "
            "data-parallel fit runs the full-batch solvers 'lbfgs' and 'gd'. For "
            "minibatch training stream the blocks through partial_fit, e.g. "
            "dask_ml.wrappers.Incremental(estimator).fit(X, y), or call "
            "partial_fit on each computed block in turn."
        )
    callbacks = getattr(estimator, "_skl_callbacks", ())
    if callbacks:  # set only where scikit-learn has its callback API
        from .callbacks import GradientMonitor

    if any(isinstance(callback, GradientMonitor) for callback in callbacks):
        raise ValueError(
            "GradientMonitor traces a sample of the training data in memory, but "
            "this X is a Dask collection whose chunks stay on the workers: remove "
            "the monitor for the data-parallel fit (set_callbacks() without it), or "
            "watch a fit on an in-memory sample, e.g. X[:10_000].compute()."
        )
    if splits:
        raise ValueError(
            "early_stopping=True on a Dask collection needs validation data: pass "
            "X_val and y_val (in memory or Dask) to fit. Splitting "
            "validation_fraction off a Dask collection is not supported."
        )


def check_model_on_host(estimator, method):
    """A fitted model continued on Dask must be numpy's: the client steps θ."""
    flat = estimator._params.flat
    if isinstance(flat, np.ndarray):
        return
    raise ValueError(
        f"{type(estimator).__name__}.{method} on a Dask collection continues the "
        "model on the client, in numpy, but this model's parameters are "
        f"{array_namespace(flat).__name__} arrays on device "
        f"{array_device(flat)!r}. Move it to numpy first: "
        "sklearn.utils._array_api.move_estimator_to(model, numpy, 'cpu')."
    )


def _join_columns(*blocks):
    """One row block from its column blocks, in their format or namespace."""
    if sp.issparse(blocks[0]):
        return sp.hstack(blocks, format="csr")
    if isinstance(blocks[0], np.ndarray):
        return np.concatenate(blocks, axis=1)
    return array_namespace(*blocks).concat(blocks, axis=1)


def _array_row_blocks(array):
    """The row blocks of a Dask array, each with all its columns: column blocks
    are joined on the workers (Dask's ``rechunk`` knows numpy, scipy sparse and
    CuPy chunks only; this joins any array API namespace's too)."""
    grid = array.to_delayed()
    if array.ndim == 1 or grid.shape[1] == 1:
        return list(grid.ravel())
    import dask

    join = dask.delayed(_join_columns, pure=True)
    return [join(*row) for row in grid]


def _row_blocks(collection, name, n_blocks=None, row_chunks=None):
    """The row blocks of a Dask array, DataFrame or Series, as Delayed objects."""
    if not is_dask_collection(collection):
        raise TypeError(
            f"X is a Dask collection but {name} is {type(collection).__name__}: "
            f"pass {name} as a Dask array or Series chunked like X, e.g. "
            f"dask.array.from_array({name}, chunks=X.chunks[0])."
        )
    if hasattr(collection, "divisions"):  # DataFrame or Series
        blocks = list(collection.to_delayed())
    else:
        if row_chunks is not None and collection.chunks[0] != row_chunks:
            n_rows = sum(row_chunks)
            if not (np.isnan(n_rows) or collection.shape[0] != n_rows):
                if not _rechunkable(collection):
                    raise ValueError(
                        f"{name}'s rows are chunked {collection.chunks[0]} but X's "
                        f"{row_chunks}, and Dask cannot rechunk "
                        f"{type(collection._meta).__name__} chunks: chunk {name} "
                        "like X (the same rows in each chunk), e.g. by converting "
                        f"its numpy chunks with map_blocks after {name}.rechunk("
                        "{0: X.chunks[0]})."
                    )
                collection = collection.rechunk({0: row_chunks})
        blocks = _array_row_blocks(collection)
    if n_blocks is not None and len(blocks) != n_blocks:
        raise ValueError(
            f"X has {n_blocks} chunks of rows but {name} has {len(blocks)}: chunk "
            f"{name} like X (e.g. {name}.rechunk(X.chunks[0]), or the same "
            "partitions as X)."
        )
    return blocks


def _chunk_namespace(collection, name):
    """``(xp, device)`` of the chunks of a Dask array of another array API
    namespace under dispatch, from its metadata; None for numpy's path. Chunks
    numpy cannot read (an array on a device) need dispatch: a clear error here,
    before anything is computed, rather than one from a worker."""
    if collection is None or hasattr(collection, "divisions"):
        return None
    meta = collection._meta
    namespace = input_namespace(meta)
    if namespace is not None or isinstance(meta, np.ndarray) or sp.issparse(meta):
        return namespace
    try:
        np.asarray(meta)
    except Exception as error:
        raise ValueError(
            f"{name}'s chunks are {type(meta).__module__}.{type(meta).__name__} "
            f"arrays that numpy cannot read ({error}). Train where they are with "
            "sklearn.set_config(array_api_dispatch=True) (and SCIPY_ARRAY_API=1 "
            "in the environment of the client and of every worker), or convert "
            "the chunks to numpy."
        ) from None
    return None


def _metadata_sample(X):
    """A sample of X with no rows: the columns and their dtypes, no data (in
    numpy: the model's dtype is chosen on the client, whatever the chunks')."""
    if hasattr(X, "divisions"):
        return X._meta  # an empty pandas DataFrame
    return np.empty((0, *X.shape[1:]), dtype=numpy_dtype(X.dtype))


def fit_config(namespaces):
    """The scikit-learn configuration the workers' tasks run under: the client's
    (``assume_finite`` …), with array API dispatch only where a chunk of X, y or
    the weights needs it, so that numpy chunks need no ``SCIPY_ARRAY_API=1`` on
    the workers."""
    config = get_config()
    if not any(namespaces):
        config["array_api_dispatch"] = False
    return config


class _UnderConfig:
    """``function`` called under a scikit-learn configuration, which is
    thread-local and does not travel with a task otherwise (scikit-learn's own
    ``delayed`` does the same for joblib). Named as ``function``, so are the
    tasks on the dashboard."""

    def __init__(self, function, config):
        self.function, self.config = function, config
        self.__name__ = function.__name__

    def __call__(self, *args):
        with config_context(**self.config):
            return self.function(*args)


def _task(function, config):
    """``dask.delayed(function)``, run on the workers under ``config``."""
    import dask

    return dask.delayed(_UnderConfig(function, config), pure=False)


def _target_summary(y, multi_output, y_numeric, estimator_name):
    """A few rows of one chunk's y that carry what the first ``_encode_targets``
    needs: every label and its count (classifiers), the extremes (regressors);
    None for an empty chunk."""
    if y.shape[0] == 0:
        return None
    y = _check_y(  # on the host, as y is in memory
        to_host(y),
        multi_output=multi_output,
        y_numeric=y_numeric,
        estimator=estimator_name,
    )
    if not y_numeric:
        if y.ndim == 2 and y.shape[1] == 1:  # a column of labels, as in memory
            y = y.ravel()
        axis = 0 if y.ndim == 2 else None
        return np.unique(y, axis=axis, return_counts=True)
    return np.stack([y.min(axis=0), y.max(axis=0)]), np.ones(2)


def _merge_summaries(summaries):
    """One y with every label once, and each label's count over all chunks."""
    summaries = [s for s in summaries if s is not None]
    if not summaries:
        raise ValueError(
            "Found a Dask collection with 0 samples: every chunk of y is empty, "
            "while a minimum of 1 sample is required."
        )
    labels = np.concatenate([s[0] for s in summaries])
    counts = np.concatenate([s[1] for s in summaries])
    if labels.ndim != 1:
        return labels, None
    unique, inverse = np.unique(labels, return_inverse=True)
    return unique, np.bincount(inverse, weights=counts)


def _balanced_class_weight(labels, counts):
    """class_weight='balanced' over all chunks, as scikit-learn's
    ``compute_class_weight`` computes it: n_samples / (n_classes · count)."""
    weights = counts.sum() / (len(labels) * counts.astype(np.float64))
    return dict(zip(labels.tolist(), weights.tolist(), strict=True))


def _chunk_params(template, namespace, theta=None):
    """θ (or zeros) in the model's dtype, in the chunk's ``namespace`` and on its
    device (numpy's when None)."""
    params = template._params
    if theta is not None:
        params = Parameters(params.architecture, theta.astype(params.flat.dtype))
    return params if namespace is None else params.moved_to(*namespace)


def _validated_chunk(template, index, X, y, w, namespace, params):
    """(X, y encoded, w) of one chunk, by the estimator's own validation, in X's
    ``namespace`` (that of ``params``): everything follows X, as in memory."""
    if namespace is None:  # y and the weights follow X to the host
        y, w = to_host(y), to_host(w)
    else:  # validate into the chunk's namespace
        template = copy.copy(template)
        template._params = params
    try:
        X, _, y, w, _ = template._validate_training_data(
            X, y, w, reset=False, part=True
        )
    except ValueError as error:
        raise ValueError(f"Dask chunk {index} of the training data: {error}") from None
    return X, y, w


def _weight_sum(X, w):
    """n_c = Σ w over the chunk (its rows without weights), a Python float."""
    if w is None:
        return float(X.shape[0])
    if isinstance(w, np.ndarray):
        return float(w.sum())
    return float(to_host(array_namespace(w).sum(w)))


def _chunk_weight(template, index, X, y, w):
    """(rows, n_c) of one chunk, validated; in a chunk of another namespace a
    custom activation is checked there too, as for such an X in memory."""
    if X.shape[0] == 0:
        return 0, 0.0
    namespace = input_namespace(X)
    params = _chunk_params(template, namespace)
    X, y, w = _validated_chunk(template, index, X, y, w, namespace, params)
    if namespace is not None:
        check_activation_in(params.architecture.activation, X)
    return X.shape[0], _weight_sum(X, w)


def _chunk_sums(template, index, theta, X, y, w):
    """n_c · L_c and n_c · ∇L_c of one chunk, as host float64: its data term
    (alpha = 0) times its weight, so that the chunks' results add up to N times
    the whole's. Computed in the chunk's namespace, on its device."""
    architecture = template._params.architecture
    if X.shape[0] == 0:
        return 0.0, np.zeros(architecture.n_parameters)
    namespace = input_namespace(X)
    params = _chunk_params(template, namespace, theta)
    X, y, w = _validated_chunk(template, index, X, y, w, namespace, params)
    n = _weight_sum(X, w)
    if n == 0:  # zero weights carry no loss and no gradient
        return 0.0, np.zeros(architecture.n_parameters)
    grads = params.zeros_like()
    loss = loss_and_gradients(params, X, y, w, 0.0, grads)
    gradient = to_host(grads.flat).astype(np.float64)
    return n * float(to_host(loss)), n * gradient


def _add(*parts):
    return sum(p[0] for p in parts), sum(p[1] for p in parts)


def _tree_sum(parts):
    """Sum (loss, gradient) pairs on the workers, ``_FAN_IN`` at a time."""
    import dask

    add = dask.delayed(_add, pure=False)
    while len(parts) > 1:
        parts = [add(*parts[i : i + _FAN_IN]) for i in range(0, len(parts), _FAN_IN)]
    return parts[0]


class DaskTrainingSet:
    """The training data as Dask chunks, checked: what ``_fit`` trains on in
    place of (X, y, w). Its ``shape`` and ``dtype`` are X's, validated;
    ``full_batch_objective`` sums the chunks' losses and gradients."""

    def __init__(self, template, blocks, n_rows, total_weight, config):
        self._template, self._blocks, self._config = template, blocks, config
        self.dtype = template._params.flat.dtype
        self.shape = (n_rows, template.n_features_in_)
        self.total_weight = total_weight

    def evaluation(self, template, theta):
        """The Delayed (Σ_c n_c L_c, Σ_c n_c ∇L_c) at θ; θ is one key of its
        graph, so it travels to each worker once, whatever the number of chunks."""
        import dask

        theta = dask.delayed(np.array(theta), pure=False)
        chunk_sums = _task(_chunk_sums, self._config)
        parts = [
            chunk_sums(template, i, theta, *block)
            for i, block in enumerate(self._blocks)
        ]
        return _tree_sum(parts)

    def full_batch_objective(self, params, alpha):
        """``objective(params, grads) -> loss`` over every chunk (see the module)."""
        import dask

        template = dask.delayed(self._template, pure=False)
        n = self.total_weight

        def objective(params, grads):
            (loss, gradient) = dask.compute(self.evaluation(template, params.flat))[0]
            grads.flat[...] = gradient / n
            if alpha:  # + (α/N) W_k, once for the whole data
                add_scaled_inplace(grads.weights, alpha / n, params.weights)
            return loss / n + l2_penalty(params, alpha, n)

        return objective


def validate_dask_training_data(
    estimator, X, y, sample_weight, *, reset, classes, incremental, splits, refit=False
):
    """The Dask counterpart of ``_validate_training_data``: returns
    ``(DaskTrainingSet, None, None, None, n_outputs)`` after the metadata checks
    and the two passes of the module's docstring, or raises their errors."""
    import dask

    _refuse_unsupported(estimator, incremental, splits)
    if hasattr(X, "divisions"):
        X_blocks = list(X.to_delayed())
        row_chunks = None
    else:
        X_blocks = _array_row_blocks(X)
        row_chunks = X.chunks[0]
    y_blocks = _row_blocks(y, "y", len(X_blocks), row_chunks)
    w_blocks = [None] * len(X_blocks)
    if sample_weight is not None:
        w_blocks = _row_blocks(
            sample_weight, "sample_weight", len(X_blocks), row_chunks
        )

    # 1. From the metadata: the features, their names and the dtype; the
    #    namespaces of the chunks, and the configuration their tasks run under.
    config = fit_config(
        [
            _chunk_namespace(collection, name)
            for collection, name in (
                (X, "X"),
                (y, "y"),
                (sample_weight, "sample_weight"),
            )
        ]
    )
    meta = _metadata_sample(X)
    dtype = FLOAT_DTYPES if reset else estimator._params.flat.dtype
    meta_array = check_array(
        meta, dtype=dtype, ensure_min_samples=0, ensure_all_finite=False
    )
    validate_data(estimator, meta, reset=reset, skip_check_array=True)

    # 2. One pass over y: the classes, or the range of the targets.
    summary = _task(_target_summary, config)
    kinds = (estimator._multi_output, estimator._y_numeric, type(estimator).__name__)
    summaries = dask.compute(*[summary(yb, *kinds) for yb in y_blocks])
    y_summary, counts = _merge_summaries(summaries)
    if refit:  # a warm-started fit continues the fitted classes
        estimator._check_refit_targets(y_summary)
    _, n_outputs = estimator._encode_targets(
        y_summary, first_call=reset, classes=classes
    )

    # 3. The estimator as the workers see it: fitted attributes, the network's
    #    layout and dtype; the balanced class weights of the whole y.
    template = copy.copy(estimator)
    for name in (*CALLBACK_STATE, "_optimizer", "_schedule", "_rng"):
        template.__dict__.pop(name, None)
    template.n_outputs_ = n_outputs
    if reset:
        architecture = estimator._architecture(meta_array.shape[1], n_outputs)
    else:
        architecture = estimator._params.architecture
    template._params = Parameters.zeros(architecture, meta_array.dtype)
    if getattr(estimator, "class_weight", None) == "balanced" and counts is not None:
        template.class_weight = _balanced_class_weight(y_summary, counts)

    # 4. One pass over the chunks: every check of the in-memory fit, and N.
    blocks = list(zip(X_blocks, y_blocks, w_blocks, strict=True))
    weigh = _task(_chunk_weight, config)
    sizes = dask.compute(*[weigh(template, i, *b) for i, b in enumerate(blocks)])
    n_rows = sum(rows for rows, _ in sizes)
    total = float(sum(n for _, n in sizes))
    if not total > 0:
        raise ValueError(
            "The sample weights sum to zero over all chunks: at least one sample "
            "needs a positive weight to train on."
        )
    largest = np.finfo(meta_array.dtype).max
    if not total <= largest:
        raise ValueError(
            f"The sample weights sum to {total:.3g}, beyond the largest "
            f"{meta_array.dtype} ({largest:.3g}). Rescale sample_weight (e.g. "
            "divide it by its mean)."
        )
    data = DaskTrainingSet(template, blocks, n_rows, total, config)
    return data, None, None, None, n_outputs
