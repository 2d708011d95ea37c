"""The fitted state as plain values, for pickle, joblib and ``skops.io``.

An estimator keeps its network as a ``Parameters`` (the flat buffer and its views)
and, between ``partial_fit`` calls, an optimizer and a learning-rate schedule
object. Persisted, each becomes arrays, numbers, strings, tuples and dicts, so
``skops.io.get_untrusted_types`` lists the estimator's class alone; loading
rebuilds the objects from them, and the coefs_ views share the buffer again.
"""

import numpy as np
from sklearn.externals.array_api_compat import is_array_api_obj

from ._optimizers import Adam, GradientDescent, MomentumSGD
from ._parameters import Architecture, Parameters
from ._schedules import Adaptive, Constant, Cosine, InvScaling

# Rebuilt by name: the saved state never names a class to import.
_STATE_CLASSES = {
    cls.__name__: cls
    for cls in (GradientDescent, MomentumSGD, Adam)
    + (Constant, InvScaling, Adaptive, Cosine)
}


def params_to_state(params):
    """A ``Parameters`` as ``{"architecture": {...}, "flat": ndarray}``."""
    architecture = params.architecture
    return {
        "architecture": {
            "layer_sizes": tuple(int(size) for size in architecture.layer_sizes),
            "activation": architecture.activation,  # a name, or the user's Activation
            "output_activation": architecture.output_activation,
            "fit_intercept": bool(architecture.fit_intercept),
            "loss": architecture.loss,
        },
        "flat": params.flat,
    }


def params_from_state(state):
    architecture = Architecture(**state["architecture"])
    flat = state["flat"]
    if not is_array_api_obj(flat):  # numpy, torch, … arrays stay in their namespace
        flat = np.asarray(flat)
    return Parameters(architecture, flat)


def object_to_state(obj):
    """An optimizer or a schedule as ``{"kind": class name, **its attributes}``;
    only its state, not its scratch buffer."""
    if obj is None:
        return None
    attributes = {k: v for k, v in vars(obj).items() if k != "_scratch"}
    return {"kind": type(obj).__name__, **attributes}


def object_from_state(state):
    if state is None:
        return None
    attributes = dict(state)
    cls = _STATE_CLASSES[attributes.pop("kind")]
    obj = cls.__new__(cls)
    obj.__dict__.update(attributes)
    return obj


# attribute of the estimator -> (to plain state, from plain state)
PLAIN_STATE = {
    "_params": (params_to_state, params_from_state),
    "_optimizer": (object_to_state, object_from_state),
    "_schedule": (object_to_state, object_from_state),
}


def to_plain_state(state):
    """The estimator's ``__dict__`` with its internal objects as plain values."""
    state = dict(state)
    for name, (to_plain, _) in PLAIN_STATE.items():
        if name in state:
            state[name] = to_plain(state[name])
    return state


def from_plain_state(state):
    state = dict(state)
    for name, (_, from_plain) in PLAIN_STATE.items():
        if name in state:
            state[name] = from_plain(state[name])
    return state
