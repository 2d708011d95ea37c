"""Optimizers over the flat parameter vector θ and its gradient g.

``gd``, ``sgd`` and ``adam`` update θ in place, one ``step`` per batch, and keep
their state (velocity, moments, step count) between ``partial_fit`` calls.
Scalars stay Python floats so float32 buffers are never upcast. θ may be an array
of any array API namespace: the steps then allocate (``_xp``) and run on its device.
``lbfgs`` hands the whole problem to scipy's L-BFGS-B.
"""

import copy
import math

import numpy as np
import scipy.optimize

from ._inplace import add_scaled_inplace
from ._threads import scipy_blas_single_threaded
from ._xp import array_ops


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
        if not isinstance(theta, np.ndarray):
            return None  # outside numpy every step allocates
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
        add_scaled_inplace(theta, -self.learning_rate, grad, self._scratch_like(theta))


class MomentumSGD(_Stepper):
    """v ← μ v − α g, then θ ← θ + v (heavy ball) or, with ``nesterov``,
    θ ← θ + μ v − α g (scikit-learn's Nesterov form: the step looks ahead along
    the new velocity)."""

    _state = ("velocity",)

    def __init__(self, learning_rate, momentum, nesterov=False):
        self.learning_rate = float(learning_rate)
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)
        self.velocity = None

    def step(self, theta, grad):
        if self.velocity is None:
            self.velocity = array_ops(theta).zeros_like(theta)
        self.velocity *= self.momentum
        s = self._scratch_like(theta)
        add_scaled_inplace(self.velocity, -self.learning_rate, grad, s)
        if not self.nesterov:
            theta += self.velocity
            return
        add_scaled_inplace(theta, self.momentum, self.velocity, s)  # θ += μ v
        add_scaled_inplace(theta, -self.learning_rate, grad, s)  # θ −= α g


class Adam(_Stepper):
    """Adam (Kingma & Ba, 2014), with the bias correction folded into the step:

    m ← β₁ m + (1 − β₁) g,   v ← β₂ v + (1 − β₂) g²,
    θ ← θ − α_t m / (√v + ε),   α_t = α √(1 − β₂ᵗ) / (1 − β₁ᵗ).

    The moments are stored divided by (1 − β₁) and (1 − β₂): m̃ ← β₁ m̃ + g and
    ṽ ← β₂ ṽ + g² need no scaling pass, and with m = (1 − β₁) m̃, v = (1 − β₂) ṽ

        α_t m / (√v + ε) = c_t m̃ / (√ṽ + ε'),
        c_t = α_t (1 − β₁) / √(1 − β₂),   ε' = ε / √(1 − β₂).

    Ten passes over θ-sized arrays per step, every one a single numpy call.
    ``m`` and ``v`` read the textbook moments.
    """

    _state = ("t", "m_sum", "v_sum")

    def __init__(self, learning_rate, beta_1, beta_2, epsilon):
        self.learning_rate = float(learning_rate)
        self.beta_1, self.beta_2 = float(beta_1), float(beta_2)
        self.epsilon = float(epsilon)
        self.t = 0
        self.m_sum = self.v_sum = None  # m̃ = m / (1 − β₁), ṽ = v / (1 − β₂)

    @property
    def m(self):
        return None if self.m_sum is None else (1.0 - self.beta_1) * self.m_sum

    @property
    def v(self):
        return None if self.v_sum is None else (1.0 - self.beta_2) * self.v_sum

    def load_state(self, previous):
        super().load_state(previous)
        # the sums were scaled by the previous β: keep m and v if β changed
        for name, old, new in (
            ("m_sum", previous.beta_1, self.beta_1),
            ("v_sum", previous.beta_2, self.beta_2),
        ):
            if getattr(self, name) is not None and old != new:
                getattr(self, name)[...] *= (1.0 - old) / (1.0 - new)

    def step(self, theta, grad):
        ops = array_ops(theta)
        if self.m_sum is None:
            self.m_sum, self.v_sum = ops.zeros_like(theta), ops.zeros_like(theta)
        m_sum, v_sum, s = self.m_sum, self.v_sum, self._scratch_like(theta)
        self.t += 1
        m_sum *= self.beta_1
        m_sum += grad  # m̃ ← β₁ m̃ + g
        v_sum *= self.beta_2
        v_sum += ops.multiply(grad, grad, out=s)  # ṽ ← β₂ ṽ + g²
        root = math.sqrt(1.0 - self.beta_2)
        c_t = (
            self.learning_rate
            * math.sqrt(1.0 - self.beta_2**self.t)
            / (1.0 - self.beta_1**self.t)
            * (1.0 - self.beta_1)
            / root
        )
        s = ops.sqrt(v_sum, out=s)
        s += self.epsilon / root
        s = ops.divide(m_sum, s, out=s)  # m̃ / (√ṽ + ε')
        s *= -c_t
        theta += s


def move_optimizer_state(optimizer, converter):
    """A copy of ``optimizer`` with its state arrays (velocity, moments) moved by
    ``converter`` to another namespace or device; no scratch buffer."""
    moved = copy.copy(optimizer)
    moved.__dict__.pop("_scratch", None)
    for name in optimizer._state:
        value = getattr(optimizer, name)
        if value is not None and not isinstance(value, (int, float)):
            value = converter(value)
        setattr(
            moved,
            name,
            copy.deepcopy(value) if value is getattr(optimizer, name) else value,
        )
    return moved


def make_optimizer(estimator, previous=None):
    """The stepping optimizer the estimator's current parameters ask for (not
    lbfgs), continuing ``previous``'s state when it is of the same kind."""
    if estimator.solver == "gd":
        optimizer = GradientDescent(estimator.learning_rate)
    elif estimator.solver == "sgd":
        optimizer = MomentumSGD(
            estimator.learning_rate,
            estimator.momentum,
            estimator.nesterovs_momentum,
        )
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

    At most ``max_iter`` iterations and ``max_fun`` evaluations of the objective.

    scipy works in float64: ``result.x`` is float64 whatever ``theta0``'s dtype.
    Its own vector work runs in scipy's BLAS, held to one thread meanwhile so that
    it does not fight numpy's pool, which computes the objective.
    """
    with scipy_blas_single_threaded():
        return scipy.optimize.minimize(
            loss_and_gradient,
            theta0.astype(np.float64),
            method="L-BFGS-B",
            jac=True,
            callback=callback,
            options={"maxiter": max_iter, "maxfun": max_fun, "gtol": tol},
        )
