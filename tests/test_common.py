"""scikit-learn's own estimator checks, with nothing expected to fail or skipped.

The estimators declare ``array_api_support``: scikit-learn then yields its array
API checks for every namespace and device it knows (CuPy, torch on cuda, mps, …),
and a check on one that is not here skips itself. Those four checks are run here
instead, for each namespace and device present: array-api-strict on its CPU
device and on ``device1``, torch on the CPU (and cuda and CuPy where present).
"""

import importlib.util
import os
import unittest
import warnings
from functools import partial

import pytest
import torch
from sklearn.exceptions import SkipTestWarning
from sklearn.utils._array_api import NamespaceAndDevice
from sklearn.utils.estimator_checks import (
    check_array_api_input,
    check_array_api_input_and_values,
    check_array_api_mixed_inputs,
    check_array_api_same_namespace,
    estimator_checks_generator,
)

from skbackprop import (
    BackpropMLPClassifier,
    BackpropMLPRegressor,
    SoftmaxMLPClassifier,
    TwoLayerSigmoidRegressor,
)

ESTIMATORS = [
    TwoLayerSigmoidRegressor(),
    SoftmaxMLPClassifier(),
    BackpropMLPRegressor(),
    BackpropMLPClassifier(),
]
ARRAY_API_CHECKS = (
    check_array_api_input,
    check_array_api_input_and_values,
    check_array_api_mixed_inputs,
    check_array_api_same_namespace,
)

# (namespace, device, dtype) present on this machine
NAMESPACES = [
    ("array_api_strict", "CPU_DEVICE", "float64"),
    ("array_api_strict", "device1", "float32"),
    ("array_api_strict", "device1", "float64"),
    ("torch", "cpu", "float64"),
    ("torch", "cpu", "float32"),
]
if torch.cuda.is_available():
    NAMESPACES += [("torch", "cuda", "float64"), ("torch", "cuda", "float32")]
if importlib.util.find_spec("cupy") is not None:
    NAMESPACES += [("cupy", None, "float64")]
MIXED = [
    (
        NamespaceAndDevice("array_api_strict", "device1"),
        NamespaceAndDevice("torch", "cpu"),
    ),
    (NamespaceAndDevice("numpy", None), NamespaceAndDevice("torch", "cpu")),
    (NamespaceAndDevice("torch", "cpu"), NamespaceAndDevice("numpy", None)),
]
if torch.cuda.is_available():
    MIXED += [
        (NamespaceAndDevice("numpy", None), NamespaceAndDevice("torch", "cuda")),
        (NamespaceAndDevice("torch", "cuda"), NamespaceAndDevice("numpy", None)),
    ]


def _name(check):
    return getattr(check, "func", check).__name__


def _other_checks():
    for estimator in ESTIMATORS:
        for estimator_, check in estimator_checks_generator(
            estimator, legacy=True, expected_failed_checks=None
        ):
            if getattr(check, "func", check) not in ARRAY_API_CHECKS:
                yield pytest.param(
                    estimator_, check, id=f"{type(estimator).__name__}-{_name(check)}"
                )


def _array_api_checks():
    for estimator in ESTIMATORS:
        name = type(estimator).__name__
        for namespace, device, dtype in NAMESPACES:
            where = f"{namespace}-{device}-{dtype}"
            for check in (check_array_api_input, check_array_api_input_and_values):
                kwargs = {"dtype_name": dtype, "check_sample_weight": True}
                if check is check_array_api_input_and_values and dtype != "float64":
                    continue  # values are compared in float64
                bound = partial(
                    check, array_namespace=namespace, device_name=device, **kwargs
                )
                yield pytest.param(
                    estimator, bound, id=f"{name}-{check.__name__}-{where}"
                )
            if dtype == "float64" or namespace == "array_api_strict":
                bound = partial(
                    check_array_api_same_namespace,
                    array_namespace=namespace,
                    device_name=device,
                )
                yield pytest.param(
                    estimator, bound, id=f"{name}-same_namespace-{where}"
                )
        for X_where, other in MIXED:
            bound = partial(
                check_array_api_mixed_inputs,
                X_ns_and_device=X_where,
                other_ns_and_device=other,
            )
            where = f"{X_where.xp}-{X_where.device}-to-{other.xp}-{other.device}"
            yield pytest.param(estimator, bound, id=f"{name}-mixed-{where}")


def _run(estimator, check):
    with warnings.catch_warnings():
        # A check that skips itself warns or raises SkipTest: make either a failure.
        warnings.simplefilter("error", SkipTestWarning)
        try:
            check(type(estimator).__name__, estimator)
        except (unittest.SkipTest, pytest.skip.Exception) as skip:
            pytest.fail(f"check skipped itself: {skip}")


def test_array_api_checks_are_enabled():
    assert os.environ.get("SCIPY_ARRAY_API") == "1"


@pytest.mark.parametrize("estimator, check", list(_other_checks()))
def test_sklearn_compatible_estimator(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("error", SkipTestWarning)
        try:
            check(estimator)
        except (unittest.SkipTest, pytest.skip.Exception) as skip:
            pytest.fail(f"check skipped itself: {skip}")


@pytest.mark.parametrize("estimator, check", list(_array_api_checks()))
def test_sklearn_array_api_checks(estimator, check):
    _run(estimator, check)
