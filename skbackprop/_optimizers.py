"""Optimizers over the flat parameter vector θ and its gradient g.

``gd``, ``sgd`` and ``adam`` update θ in place, one ``step`` per batch, and keep
their state (velocity, moments, step count) between ``partial_fit`` calls.
Scalars stay Python floats so float32 buffers are never upcast.
``lbfgs`` hands the whole problem to scipy's L-BFGS-B.
"""

import copy
import math

import numpy as np
import scipy.optimize

from ._blas import axpy


class _Stepper:
    """Shared by the stepping optimizers: a reused scratch buffer (Adam needs one),
    so a step allocates nothing; it is workspace, not state, and is not pickled."""

    _scratch = None
    _state = ()  # the attributes that carry over from one partial_fit to the next

    def load_state(self, previous):
        """Continue from ``previous``'s state (copied, never shared)."""
        for name in self._state:
            setattr(self, name, copy.deepcopy(getattr(previous, name)))

    def _scratch_like(self, theta):
        if self._scratch is None or self._scratch.shape != theta.shape:
            self._scratch = np.empty_like(theta)
        return self._scratch

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_scratch", None)
        return state


class GradientDescent(_Stepper):
    """The seeds' update θ ← θ − α ∂L/∂θ (seed 002)."""

    def __init__(self, learning_rate):
        self.learning_rate = float(learning_rate)

    def step(self, theta, grad):
        axpy(-self.learning_rate, grad, theta)


class MomentumSGD(_Stepper):
    """v ← μ v − α g,  θ ← θ + v (heavy-ball momentum)."""

    _state = ("velocity",)

    def __init__(self, learning_rate, momentum):
        self.learning_rate = float(learning_rate)
        self.momentum = float(momentum)
        self.velocity = None

    def step(self, theta, grad):
        if self.velocity is None:
            self.velocity = np.zeros_like(theta)
        self.velocity *= self.momentum
        axpy(-self.learning_rate, grad, self.velocity)
        theta += self.velocity


class Adam(_Stepper):
    """Adam (Kingma & Ba, 2014), with the bias correction folded into the step:

    m ← β₁ m + (1 − β₁) g,   v ← β₂ v + (1 − β₂) g²,
    θ ← θ − α_t m / (√v + ε),   α_t = α √(1 − β₂ᵗ) / (1 − β₁ᵗ).
    """

    _state = ("t", "m", "v")

    def __init__(self, learning_rate, beta_1, beta_2, epsilon):
        self.learning_rate = float(learning_rate)
        self.beta_1, self.beta_2 = float(beta_1), float(beta_2)
        self.epsilon = float(epsilon)
        self.t = 0
        self.m = self.v = None

    def step(self, theta, grad):
        if self.m is None:
            self.m, self.v = np.zeros_like(theta), np.zeros_like(theta)
        s = self._scratch_like(theta)
        self.t += 1
        self.m *= self.beta_1
        axpy(1.0 - self.beta_1, grad, self.m)
        self.v *= self.beta_2
        axpy(1.0 - self.beta_2, np.multiply(grad, grad, out=s), self.v)
        lr_t = (
            self.learning_rate
            * math.sqrt(1.0 - self.beta_2**self.t)
            / (1.0 - self.beta_1**self.t)
        )
        np.sqrt(self.v, out=s)
        s += self.epsilon
        np.divide(self.m, s, out=s)  # m / (√v + ε)
        axpy(-lr_t, s, theta)


def make_optimizer(estimator, previous=None):
    """The stepping optimizer the estimator's current parameters ask for (not
    lbfgs), continuing ``previous``'s state when it is of the same kind."""
    if estimator.solver == "gd":
        optimizer = GradientDescent(estimator.learning_rate)
    elif estimator.solver == "sgd":
        optimizer = MomentumSGD(estimator.learning_rate, estimator.momentum)
    else:
        optimizer = Adam(
            estimator.learning_rate,
            estimator.beta_1,
            estimator.beta_2,
            estimator.epsilon,
        )
    if type(previous) is type(optimizer):
        optimizer.load_state(previous)
    return optimizer


def minimize_lbfgs(loss_and_gradient, theta0, max_iter, tol, callback, max_fun=15000):
    """Minimise with scipy's L-BFGS-B; ``loss_and_gradient(θ) -> (L, ∇L)``.

    scipy works in float64: ``result.x`` is float64 whatever ``theta0``'s dtype.
    """
    result = scipy.optimize.minimize(
        loss_and_gradient,
        theta0.astype(np.float64),
        method="L-BFGS-B",
        jac=True,
        callback=callback,
        options={"maxiter": max_iter, "maxfun": max_fun, "gtol": tol},
    )
    return result
