"""BackpropMLPRegressor: an L-layer network with a linear (or exp) output."""

from numbers import Integral

from sklearn.utils._param_validation import Interval, StrOptions

from ._base import ACTIVATION_CONSTRAINT, hidden_widths
from ._docstrings import shared_docstring
from ._parameters import Architecture
from ._regression import BackpropRegressorBase

# each loss: its output activation (the canonical link) and the engine's loss,
# the one scikit-learn's MLPRegressor reports
_OUTPUT_OF_LOSS = {
    "squared_error": ("identity", "output_mean_squared_error"),
    "poisson": ("exp", "poisson"),
}


@shared_docstring(score="R²")
class BackpropMLPRegressor(BackpropRegressorBase):
    """Multi-layer perceptron regressor, trained by manual backprop.

    scikit-learn's ``MLPRegressor`` on hand-derived gradients:
    ``h_k = g(h_{k−1} W_k + b_k)`` for the hidden layers and a linear output
    ``ŷ = a_L`` (seed 002's output layer) minimising ``1/(2NP) Σ (y − ŷ)²``
    (averaged over the P outputs as well), or ``ŷ = exp(a_L)`` minimising the
    half Poisson deviance ``(1/N) Σ (y log(y/ŷ) − y + ŷ)``; plus
    ``α/(2N) Σ ‖W‖²`` — the loss values scikit-learn's ``MLPRegressor`` reports.
    (:class:`TwoLayerSigmoidRegressor` keeps the seeds' squared error, summed
    over the outputs.)

    Parameters
    ----------
    hidden_layer_sizes : int or tuple of int, default=(100,)
        Widths of the hidden layers (an int means one layer).
    activation : str or Activation, default="relu"
        Hidden activation g: "identity", "sigmoid" (alias "logistic"), "tanh",
        "relu", "leaky_relu", "elu", "softplus", "gelu", "silu", or a user's
        :class:`Activation` pair (checked by :func:`check_activation` when the
        network is created).
    loss : {"squared_error", "poisson"}, default="squared_error"
        ``"poisson"`` predicts ``exp(a_L)`` and needs every target ≥ 0 with a
        positive sum (counts, rates).
    {shared_parameters}

    Attributes
    ----------
    coefs_ : list of ndarray
        ``coefs_[k]``, of shape (fan_in, fan_out), the weights of layer k + 1;
        views of the live parameters (writing into them changes the model).
    intercepts_ : list of ndarray
        ``intercepts_[k]``, of shape (fan_out,), the biases of layer k + 1;
        views of the live parameters.
    out_activation_ : str
        ``"identity"``, or ``"exp"`` for the Poisson loss.
    {shared_attributes}

    Examples
    --------
    >>> import numpy as np
    >>> from skbackprop import BackpropMLPRegressor
    >>> X = np.linspace(-1, 1, 40).reshape(-1, 1)
    >>> reg = BackpropMLPRegressor(hidden_layer_sizes=(8, 8), activation="tanh",
    ...                            solver="lbfgs", random_state=0)
    >>> reg.fit(X, X.ravel() ** 2).predict(X[:2]).shape
    (2,)
    """

    _parameter_constraints: dict = {
        **BackpropRegressorBase._parameter_constraints,
        "hidden_layer_sizes": [
            Interval(Integral, 1, None, closed="left"),
            "array-like",
        ],
        "activation": ACTIVATION_CONSTRAINT,
        "loss": [StrOptions(set(_OUTPUT_OF_LOSS))],
    }

    def __init__(
        self,
        *,
        hidden_layer_sizes=(100,),
        activation="relu",
        loss="squared_error",
        solver="adam",
        learning_rate=0.001,
        batch_size="auto",
        max_iter=200,
        tol=1e-4,
        n_iter_no_change=10,
        max_fun=15000,
        alpha=1e-4,
        momentum=0.9,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        early_stopping=False,
        validation_fraction=0.1,
        scoring=None,
        learning_rate_schedule="constant",
        power_t=0.5,
        nesterovs_momentum=True,
        shuffle=True,
        random_state=None,
        warm_start=False,
        verbose=0,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.loss = loss
        self.solver = solver
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.alpha = alpha
        self.momentum = momentum
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.scoring = scoring
        self.learning_rate_schedule = learning_rate_schedule
        self.power_t = power_t
        self.nesterovs_momentum = nesterovs_momentum
        self.shuffle = shuffle
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose

    def _architecture(self, n_features, n_outputs):
        output_activation, loss = _OUTPUT_OF_LOSS[self.loss]
        return Architecture(
            layer_sizes=(n_features, *hidden_widths(self), n_outputs),
            activation=self.activation,
            output_activation=output_activation,
            loss=loss,
        )

    def _check_targets(self, y2d, *, part=False):
        # a chunk (part) may hold only zeros: the sum is checked over all of y
        if self.loss == "poisson" and not (y2d.min() >= 0 and (part or y2d.sum() > 0)):
            raise ValueError(
                "loss='poisson' requires y >= 0 with a positive sum (counts or "
                f"rates), but y has minimum {y2d.min():.6g} and sum "
                f"{y2d.sum():.6g}. Use loss='squared_error' for other targets."
            )
        return y2d
