"""scikit-learn's own estimator checks, with nothing expected to fail or skipped."""

import os
import unittest
import warnings

import pytest
from sklearn.exceptions import SkipTestWarning
from sklearn.utils.estimator_checks import parametrize_with_checks

from skbackprop import (
    BackpropMLPClassifier,
    BackpropMLPRegressor,
    SoftmaxMLPClassifier,
    TwoLayerSigmoidRegressor,
)


def test_array_api_checks_are_enabled():
    assert os.environ.get("SCIPY_ARRAY_API") == "1"


@parametrize_with_checks(
    [
        TwoLayerSigmoidRegressor(),
        SoftmaxMLPClassifier(),
        BackpropMLPRegressor(),
        BackpropMLPClassifier(),
    ],
    expected_failed_checks=None,
)
def test_sklearn_compatible_estimator(estimator, check):
    with warnings.catch_warnings():
        # A check that skips itself warns or raises SkipTest: make either a failure.
        warnings.simplefilter("error", SkipTestWarning)
        try:
            check(estimator)
        except (unittest.SkipTest, pytest.skip.Exception) as skip:
            pytest.fail(f"check skipped itself: {skip}")
