"""TwoLayerSigmoidRegressor: the seeds' network X → σ(X W1 + b1) → Z W2 + b2 [→ σ]."""

from numbers import Integral

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

from ._docstrings import shared_docstring
from ._parameters import Architecture
from ._regression import BackpropRegressorBase


@shared_docstring(score="R²")
class TwoLayerSigmoidRegressor(BackpropRegressorBase):
    """Two-layer network with a sigmoid hidden layer, trained by manual backprop.

    ``H = X W1 + b1``, ``Z = σ(H)``, ``O = Z W2 + b2`` and ``ŷ = O`` (seed 002) or
    ``ŷ = σ(O)`` (seeds 000/001/004), minimising ``1/(2N) Σ (y − ŷ)² +
    α/(2N) Σ ‖W‖²``. The squared error keeps the seeds' convention (SPEC §1):
    summed over the outputs, where :class:`BackpropMLPRegressor` averages over
    them as scikit-learn's ``MLPRegressor`` does.

    Parameters
    ----------
    hidden_size : int, default=100
        Units in the sigmoid hidden layer.
    output_activation : {"identity", "sigmoid"}, default="identity"
        ``"sigmoid"`` needs every target in [0, 1].
    fit_intercept : bool, default=True
        False gives the seeds' bias-free network.
    {shared_parameters}

    Attributes
    ----------
    coefs_ : list of ndarray
        ``[W1 (n_features, hidden_size), W2 (hidden_size, n_outputs)]``, views of
        the live parameters.
    intercepts_ : list of ndarray
        ``[b1, b2]`` (zeros, read-only, when ``fit_intercept=False``).
    out_activation_ : str
        ``"identity"``, or ``"logistic"`` for the sigmoid output.
    {shared_attributes}

    Examples
    --------
    >>> import numpy as np
    >>> from skbackprop import TwoLayerSigmoidRegressor
    >>> X = np.linspace(-1, 1, 40).reshape(-1, 1)
    >>> y = X.ravel() ** 2
    >>> reg = TwoLayerSigmoidRegressor(hidden_size=8, solver="lbfgs", random_state=0)
    >>> reg.fit(X, y).predict(X[:2]).shape
    (2,)
    """

    _parameter_constraints: dict = {
        **BackpropRegressorBase._parameter_constraints,
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "output_activation": [StrOptions({"identity", "sigmoid"})],
        "fit_intercept": ["boolean"],
    }

    def __init__(
        self,
        *,
        hidden_size=100,
        output_activation="identity",
        fit_intercept=True,
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
        self.hidden_size = hidden_size
        self.output_activation = output_activation
        self.fit_intercept = fit_intercept
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
        return Architecture(
            layer_sizes=(n_features, self.hidden_size, n_outputs),
            activation="sigmoid",
            output_activation=self.output_activation,
            fit_intercept=self.fit_intercept,
        )

    def _check_targets(self, y2d, *, part=False):
        if self.output_activation == "sigmoid":
            # MinMaxScaler, the suggested remedy, can overshoot 1 by an ulp or two.
            slack = 4 * np.finfo(y2d.dtype).eps
            low, high = y2d.min(), y2d.max()
            if low < -slack or high > 1 + slack:
                raise ValueError(
                    "output_activation='sigmoid' predicts values in [0, 1], but y has "
                    f"values in [{low:.17g}, {high:.17g}]. Rescale the target, e.g. "
                    "TransformedTargetRegressor(regressor=..., "
                    "transformer=MinMaxScaler()), or use output_activation='identity'."
                )
            y2d = np.clip(y2d, 0.0, 1.0)
        return y2d
