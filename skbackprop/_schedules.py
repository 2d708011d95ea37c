"""Learning-rate schedules: small objects the epoch loop asks once per epoch.

The loop calls ``schedule.rate(epoch, samples_seen)`` before an epoch and hands the
answer to the optimizer, which reads its step size from ``learning_rate``; after an
epoch without improvement for ``n_iter_no_change`` epochs it calls
``schedule.plateau()``, which says whether training should stop there. The loop
never branches on the schedule's name.

Conventions as scikit-learn's ``SGDOptimizer`` (``invscaling`` and ``adaptive``),
applied here to every stepping solver (gd, sgd and adam).
"""

import math


class Constant:
    """η_e = η: the step size never changes; a plateau ends training."""

    def __init__(self, learning_rate):
        self.learning_rate = float(learning_rate)

    def rate(self, epoch, samples_seen):
        return self.learning_rate

    def plateau(self):
        """Training has not improved for ``n_iter_no_change`` epochs: stop?"""
        return True


class InvScaling(Constant):
    """η_t = η / (t + 1)^power_t, t the number of samples seen before the epoch."""

    def __init__(self, learning_rate, power_t):
        super().__init__(learning_rate)
        self.power_t = float(power_t)

    def rate(self, epoch, samples_seen):
        return self.learning_rate / (samples_seen + 1) ** self.power_t


class Adaptive(Constant):
    """η ÷ 5 at each plateau; training stops at a plateau once η ≤ 1e-6.

    The current rate is state: it carries over from one ``partial_fit`` call to
    the next (unless ``learning_rate`` was changed in between), as scikit-learn's
    optimizer does.
    """

    SMALLEST = 1e-6

    def __init__(self, learning_rate):
        super().__init__(learning_rate)
        self.initial = self.learning_rate

    def plateau(self):
        if self.learning_rate <= self.SMALLEST:
            return True
        self.learning_rate /= 5.0
        return False


class Cosine(Constant):
    """η_e = η · ½(1 + cos(π e / max_iter)), e = 0 for the first epoch of a fit.

    ``partial_fit`` counts the epochs the model has trained so far, and holds at
    the rate of e = max_iter − 1 once past it.
    """

    def __init__(self, learning_rate, max_iter):
        super().__init__(learning_rate)
        self.max_iter = int(max_iter)

    def rate(self, epoch, samples_seen):
        e = min(epoch, self.max_iter - 1)
        return self.learning_rate * 0.5 * (1.0 + math.cos(math.pi * e / self.max_iter))


def make_schedule(estimator, previous=None):
    """The schedule the estimator's parameters ask for; ``previous`` (the schedule
    of the last ``partial_fit`` call) hands on an adaptive rate already lowered."""
    name = estimator.learning_rate_schedule
    if name == "invscaling":
        return InvScaling(estimator.learning_rate, estimator.power_t)
    if name == "cosine":
        return Cosine(estimator.learning_rate, estimator.max_iter)
    if name == "adaptive":
        schedule = Adaptive(estimator.learning_rate)
        if type(previous) is Adaptive and previous.initial == schedule.initial:
            schedule.learning_rate = previous.learning_rate
        return schedule
    return Constant(estimator.learning_rate)
