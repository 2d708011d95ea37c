"""The parameters and fitted attributes the estimators share, documented once.

Each estimator's class docstring holds the markers ``{shared_parameters}`` and
``{shared_attributes}``; the :func:`shared_docstring` decorator replaces them with
the descriptions below, so every API page lists every parameter with its type.
"""

import inspect

SHARED_PARAMETERS = """\
solver : {"gd", "sgd", "adam", "lbfgs"}, default="adam"
    ``"gd"``: one full-batch step ``w ← w − learning_rate·∂L/∂w`` per epoch;
    ``"sgd"``: minibatch SGD with ``momentum``; ``"adam"``; ``"lbfgs"``:
    scipy's L-BFGS-B fed by the manual gradients.
learning_rate : float, default=0.001
    Step size (ignored by lbfgs).
batch_size : int or "auto", default="auto"
    Samples per minibatch; ``"auto"`` is ``min(200, n_samples)``. Ignored by gd
    and lbfgs.
max_iter : int, default=200
    Epochs (lbfgs: iterations).
tol : float, default=1e-4
    Improvement of the loss (or validation score) below which an epoch counts
    as no improvement.
n_iter_no_change : int or np.inf, default=10
    Epochs without improvement before training stops; ``np.inf`` never stops
    on the loss (or the validation score).
max_fun : int, default=15000
    The most evaluations of the loss (and its gradient) L-BFGS-B may make
    (lbfgs only); reaching it ends ``fit`` with a ``ConvergenceWarning``.
alpha : float, default=1e-4
    L2 strength.
momentum : float, default=0.9
    Momentum of sgd (ignored by the other solvers).
beta_1 : float, default=0.9
    Decay of Adam's first-moment estimate (adam only).
beta_2 : float, default=0.999
    Decay of Adam's second-moment estimate (adam only).
epsilon : float, default=1e-8
    Adam's guard against division by zero (adam only).
early_stopping : bool, default=False
    Score the validation data each epoch, stop once the score has not
    improved by ``tol`` for ``n_iter_no_change`` epochs and keep the weights
    of the best score. The validation data is ``X_val, y_val`` given to
    ``fit``, else ``validation_fraction`` of the training data held out.
validation_fraction : float, default=0.1
    Fraction of the training data held out for early stopping when ``fit``
    is given no ``X_val``.
scoring : str, callable or None, default=None
    What early stopping watches on the validation data: None is the
    estimator's ``score`` (<score>); ``"loss"`` the validation loss (recorded
    as its negative, higher is better); or any scikit-learn scorer name or
    callable ``scorer(estimator, X, y)``.
learning_rate_schedule : {"constant", "invscaling", "adaptive", "cosine"}, \
default="constant"
    How the learning rate changes from epoch to epoch, for gd, sgd and adam:
    ``"invscaling"``: ``learning_rate / (t + 1) ** power_t``, t the samples
    seen before the epoch; ``"adaptive"``: divided by 5 each time training
    has not improved by ``tol`` for ``n_iter_no_change`` epochs, stopping
    once it is at most 1e-6; ``"cosine"``: ``learning_rate · ½(1 +
    cos(π e / max_iter))`` in epoch e = 0, 1, … of the fit.
power_t : float, default=0.5
    Exponent of ``"invscaling"``.
nesterovs_momentum : bool, default=True
    Nesterov's momentum (scikit-learn's form) instead of heavy ball (sgd only).
shuffle : bool, default=True
    Shuffle the samples every epoch (minibatch solvers).
random_state : int, RandomState instance or None, default=None
    Weight initialisation, minibatch order and validation split.
warm_start : bool, default=False
    ``fit`` continues from the current weights.
verbose : int, default=0
    1 prints one line per epoch: epoch, loss, validation score, seconds."""

SHARED_ATTRIBUTES = """\
loss_ : float
    The training loss (data term + L2 term) after the last epoch.
loss_curve_ : list of float
    The training loss after each epoch (lbfgs: iteration).
best_loss_ : float or None
    The lowest training loss reached; None with early stopping, which watches
    the validation score instead.
validation_scores_ : list of float or None
    The score ``scoring`` asks for on the validation data, one per epoch,
    whenever there is validation data; None otherwise.
best_validation_score_ : float or None
    The best of ``validation_scores_``; None without early stopping.
validation_loss_curve_ : list of float or None
    The data term of the loss (no L2 term) on the validation data after each
    epoch (lbfgs: iteration); None without validation data.
learning_rate_curve_ : list of float
    The learning rate of each epoch (empty for lbfgs).
n_iter_ : int
    Epochs (lbfgs: iterations) run by the last call: of ``fit``, or 1 after
    ``partial_fit``, as in scikit-learn's MLP.
t_ : int
    Training samples seen, summed over epochs.
n_features_in_ : int
    Number of features seen during ``fit``.
feature_names_in_ : ndarray of shape (n_features,)
    Names of the features seen during ``fit``; only when ``X`` has string
    column names (a DataFrame).
n_outputs_ : int
    Number of output units: of targets for a regressor; of classes for the
    softmax classifiers (1 for two classes in ``BackpropMLPClassifier``, which
    has one logistic unit per label for a multilabel y).
n_layers_ : int
    Number of layers, the input and output layers included."""


def _fill(doc, marker, text):
    """``doc`` with the line ``marker`` replaced by ``text``, indented alike."""
    for line in doc.splitlines():
        if line.strip() == marker:
            indent = line[: len(line) - len(line.lstrip())]
            block = "\n".join(indent + row if row else row for row in text.split("\n"))
            return doc.replace(line, block)
    raise ValueError(f"the docstring has no line {marker!r}")


def shared_docstring(*, score):
    """Class decorator: fill in the shared parameters and attributes.

    Parameters
    ----------
    score : str
        What the estimator's ``score`` is ("R²", "accuracy"), for ``scoring``.

    Returns
    -------
    decorate : callable
        Replaces the markers in the class docstring and returns the class.
    """

    def decorate(cls):
        doc = inspect.cleandoc(cls.__doc__)
        doc = _fill(doc, "{shared_parameters}", SHARED_PARAMETERS)
        doc = _fill(doc, "{shared_attributes}", SHARED_ATTRIBUTES)
        cls.__doc__ = doc.replace("<score>", score)
        return cls

    return decorate
