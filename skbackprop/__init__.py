"""scikit-learn neural-network estimators trained by hand-derived backpropagation."""

from ._classifier import SoftmaxMLPClassifier
from ._custom_activations import Activation, ActivationCheckReport, check_activation
from ._gradcheck import GradientCheckReport, check_gradients
from ._mlp_classifier import BackpropMLPClassifier
from ._mlp_regressor import BackpropMLPRegressor
from ._regressor import TwoLayerSigmoidRegressor
from ._trace import BackpropTrace, LayerTrace
from ._validation import ValidationScaleWarning

__all__ = [
    "Activation",
    "ActivationCheckReport",
    "BackpropMLPClassifier",
    "BackpropMLPRegressor",
    "BackpropTrace",
    "GradientCheckReport",
    "LayerTrace",
    "SoftmaxMLPClassifier",
    "TwoLayerSigmoidRegressor",
    "ValidationScaleWarning",
    "check_activation",
    "check_gradients",
]
__version__ = "0.3.0"
