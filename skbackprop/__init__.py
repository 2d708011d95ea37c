"""scikit-learn neural-network estimators trained by hand-derived backpropagation."""

from ._classifier import SoftmaxMLPClassifier
from ._gradcheck import GradientCheckReport, check_gradients
from ._regressor import TwoLayerSigmoidRegressor

__all__ = [
    "GradientCheckReport",
    "SoftmaxMLPClassifier",
    "TwoLayerSigmoidRegressor",
    "check_gradients",
]
__version__ = "0.1.0"
