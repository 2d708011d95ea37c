"""The network's memory: its architecture, the flat parameter buffer with its
per-layer views, the initial draw, and the buffers a training run reuses.

The equations that read and write this memory are in ``_network``.
"""

from dataclasses import dataclass

import numpy as np

from ._custom_activations import resolve_activation
from ._losses import DEFAULT_LOSS
from ._xp import array_device, array_namespace


@dataclass(frozen=True)
class Architecture:
    """What the network is: its widths, activations, whether it has biases, and
    the loss it is trained on.

    The output activation alone does not name the loss: a sigmoid output is
    trained on squared error in the seeds' network and on binary cross-entropy in
    the classifier. ``loss`` defaults to the output's loss in the seeds' networks
    (``DEFAULT_LOSS``).
    """

    layer_sizes: tuple  # (n_features, hidden..., n_outputs)
    activation: object  # hidden activation g: a built-in's name or an Activation
    output_activation: str  # "identity", "sigmoid", "softmax" or "exp"
    fit_intercept: bool = True
    loss: str = None  # a key of _losses.LOSSES; None: DEFAULT_LOSS of the output

    def __post_init__(self):
        if self.loss is None:
            object.__setattr__(self, "loss", DEFAULT_LOSS[self.output_activation])

    @property
    def shapes(self):
        """(fan_in, fan_out) of each weight matrix W_1 … W_L."""
        return list(zip(self.layer_sizes[:-1], self.layer_sizes[1:], strict=True))

    @property
    def n_parameters(self):
        return sum(i * o + o * self.fit_intercept for i, o in self.shapes)


class Parameters:
    """One flat buffer holding every W_k and b_k, with per-layer views.

    Layout: W_1, …, W_L (each row-major), then b_1, …, b_L, so the weights — the
    only parameters the L2 term touches — form one contiguous block ``weights``.
    Without intercepts the b_k are read-only zero arrays outside the buffer.

    ``flat`` is a numpy array or an array of any array API namespace (on any
    device): the views are then that namespace's, into the same memory.
    """

    def __init__(self, architecture, flat):
        self.architecture = architecture
        self.flat = flat
        numpy = isinstance(flat, np.ndarray)
        xp = np if numpy else array_namespace(flat)
        self.coefs, self.intercepts = [], []
        start = 0
        for fan_in, fan_out in architecture.shapes:
            stop = start + fan_in * fan_out
            block = flat[start:stop]
            # a view: numpy's reshape, or the namespace's on its contiguous slice
            self.coefs.append(xp.reshape(block, (fan_in, fan_out)))
            start = stop
        self.weights = flat[:start]
        for _, fan_out in architecture.shapes:
            if architecture.fit_intercept:
                self.intercepts.append(flat[start : start + fan_out])
                start += fan_out
            elif numpy:
                zeros = np.zeros(fan_out, dtype=flat.dtype)
                zeros.flags.writeable = False
                self.intercepts.append(zeros)
            else:
                device = array_device(flat)
                self.intercepts.append(
                    xp.zeros(fan_out, dtype=flat.dtype, device=device)
                )

    @classmethod
    def zeros(cls, architecture, dtype):
        return cls(architecture, np.zeros(architecture.n_parameters, dtype=dtype))

    def zeros_like(self):
        """A ``Parameters`` of zeros in this one's namespace, device and dtype."""
        if isinstance(self.flat, np.ndarray):
            return Parameters.zeros(self.architecture, self.flat.dtype)
        return Parameters(
            self.architecture, array_namespace(self.flat).zeros_like(self.flat)
        )

    def moved_to(self, xp, device):
        """The same parameters in namespace ``xp`` on ``device`` (numpy included),
        the views rebuilt over the moved buffer."""
        from sklearn.utils._array_api import move_to

        return Parameters(self.architecture, move_to(self.flat, xp=xp, device=device))

    def copy(self, dtype=None):
        if not isinstance(self.flat, np.ndarray):
            xp = array_namespace(self.flat)
            if isinstance(dtype, np.dtype) or (
                isinstance(dtype, type) and issubclass(dtype, np.generic)
            ):
                dtype = getattr(xp, np.dtype(dtype).name)  # numpy's name for xp's
            flat = xp.astype(self.flat, dtype or self.flat.dtype, copy=True)
            return Parameters(self.architecture, flat)
        return Parameters(self.architecture, self.flat.astype(dtype or self.flat.dtype))

    def __reduce__(self):
        # Rebuild the views on unpickling, so they still share the buffer.
        return Parameters, (self.architecture, self.flat)


def glorot_uniform(architecture, random_state, dtype):
    """Glorot/Xavier uniform initialisation, as scikit-learn's MLP draws it.

    Every W_k and b_k is drawn from U(−r, r) with r = sqrt(f / (fan_in + fan_out)),
    f = 2 for a sigmoid hidden activation and 6 otherwise, layer by layer, W before b.
    """
    factor = resolve_activation(architecture.activation).init_factor
    params = Parameters.zeros(architecture, dtype)
    for W, b, (fan_in, fan_out) in zip(
        params.coefs, params.intercepts, architecture.shapes, strict=True
    ):
        bound = np.sqrt(factor / (fan_in + fan_out))
        W[...] = random_state.uniform(-bound, bound, (fan_in, fan_out))
        drawn = random_state.uniform(-bound, bound, fan_out)
        if architecture.fit_intercept:
            b[...] = drawn
    return params


class Workspace:
    """Buffers one training run reuses from batch to batch (never shared between
    threads: prediction allocates its own).

    ``a[k]`` holds layer k's pre-activation and then, in place, its output h_k;
    ``delta[k]`` and ``scratch[k]`` the backward pass's δ_k and g'(a_k); ``pre[k]``
    a copy of the hidden pre-activation a_k, only for an activation whose
    derivative needs it (else None). Each is sized for the largest batch; a smaller
    batch uses the leading rows.
    """

    def __init__(self, architecture, max_rows, dtype):
        widths = architecture.layer_sizes[1:]
        self.activation = resolve_activation(architecture.activation)
        self.a = [np.empty((max_rows, width), dtype) for width in widths]
        keep = self.activation.needs_preactivation
        self.pre = [
            np.empty((max_rows, width), dtype) if keep else None
            for width in widths[:-1]
        ]
        self.delta = [np.empty((max_rows, width), dtype) for width in widths[:-1]]
        self.scratch = [np.empty((max_rows, width), dtype) for width in widths[:-1]]
        self.ones = np.ones(max_rows, dtype)  # 1ᵀ δ as a matrix product
        n_weights = sum(fan_in * fan_out for fan_in, fan_out in architecture.shapes)
        self.l2_term = np.empty(n_weights, dtype)  # (α/N) W, the L2 gradient

    def keep_preactivation(self, k, a):
        np.copyto(self.pre[k][: a.shape[0]], a)


class AllocatingWorkspace:
    """A ``Workspace`` without buffers, for arrays outside numpy: every quantity
    is a new array of the namespace, only the kept pre-activations are held."""

    a = delta = scratch = ones = l2_term = None

    def __init__(self, architecture):
        self.activation = resolve_activation(architecture.activation)
        self.pre = [None] * (len(architecture.layer_sizes) - 2)

    def keep_preactivation(self, k, a):
        self.pre[k] = array_namespace(a).asarray(a, copy=True)
