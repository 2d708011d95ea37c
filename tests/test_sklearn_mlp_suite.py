"""The drop-in promise (SPEC §7.1): scikit-learn's own MLP test file, run unchanged
against ``BackpropMLPClassifier`` and ``BackpropMLPRegressor``.

The installed ``sklearn/neural_network/tests/test_mlp.py`` is loaded from its file
under a private module name, with ``sklearn.neural_network.MLPClassifier`` and
``MLPRegressor`` replaced, during that import only, by the shims below: so its
module globals and its ``parametrize`` lists name our estimators, and scikit-learn's
own copy of the module is untouched. A shim is a subclass whose ``__init__`` takes
scikit-learn's constructor names and only translates two of them
(``learning_rate_init`` → ``learning_rate``, ``learning_rate`` →
``learning_rate_schedule``); ``get_params``, ``set_params``, ``clone`` and the
parameter validation speak scikit-learn's names.

Every ``test_*`` function of the file is re-exported here, so pytest collects it with
its marks; the fixture it needs from scikit-learn's conftest, ``global_random_seed``,
is parametrized below as that conftest does. Three tests are deselected, by name, in
``DESELECTED``: they read private attributes of scikit-learn's implementation.
Nothing else is skipped: with scikit-learn 1.9.1 that is 56 of the file's 59 tests.
"""

import importlib.util
import inspect
import os
from pathlib import Path
from unittest import mock

import pytest
import sklearn.neural_network
from sklearn.base import clone

from skbackprop import BackpropMLPClassifier, BackpropMLPRegressor

# scikit-learn's name -> ours
RENAMED = {
    "learning_rate_init": "learning_rate",
    "learning_rate": "learning_rate_schedule",
}
OURS_TO_SKLEARN = {ours: theirs for theirs, ours in RENAMED.items()}

DESELECTED = {
    "test_fit": "sets scikit-learn's private buffers (_coef_grads, "
    "_coef_velocity, ...) by hand before partial_fit",
    "test_gradient": "calls scikit-learn's private _loss_grad_lbfgs with its "
    "preallocated buffers (our gradients are checked against finite differences "
    "in test_gradients.py)",
    "test_learning_rate_warmstart": "reads the private _optimizer.learning_rate "
    "of scikit-learn's SGDOptimizer after a warm start (our schedule's rates are "
    "in learning_rate_curve_, tested in test_steering.py)",
}


def _sklearn_name(name):
    return OURS_TO_SKLEARN.get(name, name)


def _our_name(name):
    return RENAMED.get(name, name)


def _shim(ours, sklearn_name):
    """A subclass of ``ours`` that takes scikit-learn's constructor names."""
    parameters = [
        parameter.replace(name=_sklearn_name(name))
        for name, parameter in inspect.signature(ours.__init__).parameters.items()
    ]

    def __init__(self, **params):
        unknown = set(params) - set(self._get_param_names())
        if unknown:
            raise TypeError(f"{sklearn_name}() got unexpected arguments {unknown}")
        defaults = {p.name: p.default for p in parameters if p.default is not p.empty}
        for name, value in {**defaults, **params}.items():
            setattr(self, _our_name(name), value)

    __init__.__signature__ = inspect.Signature(parameters)

    def get_params(self, deep=True):
        return {
            name: getattr(self, _our_name(name)) for name in self._get_param_names()
        }

    def set_params(self, **params):
        valid = self._get_param_names()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(f"Invalid parameter {name!r} for {sklearn_name}.")
            setattr(self, _our_name(name), value)
        return self

    namespace = {
        "__init__": __init__,
        "get_params": get_params,
        "set_params": set_params,
        "__module__": __name__,
        "_parameter_constraints": {
            _sklearn_name(name): constraint
            for name, constraint in ours._parameter_constraints.items()
        },
    }
    return type(sklearn_name, (ours,), namespace)


MLPClassifier = _shim(BackpropMLPClassifier, "MLPClassifier")
MLPRegressor = _shim(BackpropMLPRegressor, "MLPRegressor")

SKLEARN_TEST_FILE = (
    Path(sklearn.neural_network.__file__).parent / "tests" / "test_mlp.py"
)


def _load_sklearn_tests():
    spec = importlib.util.spec_from_file_location(
        "skbackprop_tests_sklearn_test_mlp", SKLEARN_TEST_FILE
    )
    module = importlib.util.module_from_spec(spec)
    with (
        mock.patch.object(sklearn.neural_network, "MLPClassifier", MLPClassifier),
        mock.patch.object(sklearn.neural_network, "MLPRegressor", MLPRegressor),
    ):
        spec.loader.exec_module(module)
    return module


sklearn_test_mlp = _load_sklearn_tests()
SKLEARN_TESTS = sorted(
    name
    for name, value in vars(sklearn_test_mlp).items()
    if name.startswith("test_") and inspect.isfunction(value)
)
# re-exported: pytest collects them from this module, marks and all
globals().update(
    {
        name: getattr(sklearn_test_mlp, name)
        for name in SKLEARN_TESTS
        if name not in DESELECTED
    }
)


def pytest_generate_tests(metafunc):
    """scikit-learn's ``global_random_seed`` fixture, parametrized as its conftest
    does: 42, or the seeds SKLEARN_TESTS_GLOBAL_RANDOM_SEED names ("all", "a-b",
    or one seed, within 0-99)."""
    if "global_random_seed" not in metafunc.fixturenames:
        return
    value = os.environ.get("SKLEARN_TESTS_GLOBAL_RANDOM_SEED")
    if value is None:
        seeds = [42]
    elif value == "all":
        seeds = list(range(100))
    else:
        start, _, stop = value.partition("-")
        seeds = list(range(int(start), int(stop or start) + 1))
        if min(seeds) < 0 or max(seeds) > 99:
            raise ValueError(
                "SKLEARN_TESTS_GLOBAL_RANDOM_SEED must be seeds in [0, 99] or "
                f"'all', got {value!r}"
            )
    metafunc.parametrize("global_random_seed", seeds)


def test_the_shims_stand_in_for_scikit_learns_classes():
    assert sklearn_test_mlp.MLPClassifier is MLPClassifier
    assert sklearn_test_mlp.MLPRegressor is MLPRegressor
    # scikit-learn's own names are restored after the import
    assert sklearn.neural_network.MLPClassifier.__module__.startswith("sklearn.")


def test_only_the_three_private_attribute_tests_are_deselected():
    assert set(DESELECTED) <= set(SKLEARN_TESTS)
    for name in SKLEARN_TESTS:
        assert (name in DESELECTED) != (name in globals())


@pytest.mark.parametrize("shim", [MLPClassifier, MLPRegressor])
def test_the_shims_speak_scikit_learns_names(shim):
    est = shim(learning_rate_init=0.01, learning_rate="adaptive", max_iter=7)
    assert est.learning_rate == 0.01  # ours
    assert est.learning_rate_schedule == "adaptive"
    params = est.get_params()
    assert params["learning_rate_init"] == 0.01
    assert params["learning_rate"] == "adaptive"
    assert "learning_rate_schedule" not in params
    copy = clone(est).set_params(learning_rate="invscaling")
    assert copy.learning_rate_schedule == "invscaling"
    assert copy.get_params()["max_iter"] == 7
