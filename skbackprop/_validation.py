"""Validation data: checked once, given or split off, asked after every epoch.

``check_validation_data`` refuses bad ``X_val``/``y_val``/``sample_weight_val``
before anything is drawn; ``split_validation`` holds out ``validation_fraction``;
``Validation`` scores the network on the held-out data after each epoch, records
``validation_loss_curve_`` and ``validation_scores_`` on the estimator and keeps
the best weights for early stopping. ``NoValidation`` is its stand-in when there is
no validation data, so the epoch loop asks both the same way.
"""

import copy
import inspect
import math
import warnings
from collections import deque

import numpy as np
import scipy.sparse as sp
from sklearn.metrics import check_scoring
from sklearn.model_selection import StratifiedShuffleSplit, train_test_split
from sklearn.utils._array_api import move_to
from sklearn.utils.validation import validate_data

from ._inputs import _host_stand_in
from ._losses import loss_and_output_delta
from ._network import layer_outputs
from ._xp import array_namespace


class ValidationScaleWarning(UserWarning):
    """``y_val`` looks like it is on another scale than the training ``y``.

    Raised by ``fit``/``partial_fit`` of a regressor given ``X_val, y_val`` when,
    for some output, the mean of ``y_val`` lies outside the range of the
    training ``y`` widened by 5 of its standard deviations on either side:
    ``mean(y_val) < min(y) − 5·std(y)`` or ``mean(y_val) > max(y) + 5·std(y)``.

    The usual cause: ``TransformedTargetRegressor`` (or a hand-made scaling)
    transforms ``y`` but not ``y_val``, which is passed through as given, so the
    validation loss and early stopping watch a target on another scale. Pass
    ``y_val`` transformed the same way (e.g. ``scaler.transform(y_val)``).

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> from skbackprop import BackpropMLPRegressor, ValidationScaleWarning
    >>> X = np.linspace(-1, 1, 40).reshape(-1, 1)
    >>> y = X.ravel()
    >>> reg = BackpropMLPRegressor(hidden_layer_sizes=2, max_iter=1)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = reg.fit(X, y, X_val=X, y_val=1000 * y + 5000)
    >>> any(issubclass(w.category, ValidationScaleWarning) for w in caught)
    True
    """


SCALE_SPREAD = 5.0  # how many standard deviations of y beyond its range


def _warn_if_other_scale(y, y_val):
    """``ValidationScaleWarning`` when ``y_val`` (encoded, 2-D) is visibly on
    another scale than the training targets ``y``. Outside numpy the per-output
    statistics are computed on the device and only they come to the host."""
    if isinstance(y, np.ndarray):
        std, y_min, y_max = y.std(axis=0), y.min(axis=0), y.max(axis=0)
        mean = y_val.mean(axis=0)
    else:
        xp = array_namespace(y)
        stats = xp.stack(
            [
                xp.std(y, axis=0),
                xp.min(y, axis=0),
                xp.max(y, axis=0),
                xp.mean(y_val, axis=0),
            ]
        )
        std, y_min, y_max, mean = move_to(stats, xp=np, device="cpu")  # one read
    low = y_min - SCALE_SPREAD * std
    high = y_max + SCALE_SPREAD * std
    outside = (std > 0) & ((mean < low) | (mean > high))
    if outside.any():
        j = int(np.flatnonzero(outside)[0])
        warnings.warn(
            f"y_val looks like it is on another scale than y: its mean "
            f"{mean[j]:.4g} (output {j}) lies outside y's range "
            f"[{y_min[j]:.4g}, {y_max[j]:.4g}] by more than "
            f"{SCALE_SPREAD:g} standard deviations of y ({std[j]:.4g}). If y is "
            "transformed (e.g. by TransformedTargetRegressor, which does not "
            "transform y_val), pass y_val transformed the same way.",
            ValidationScaleWarning,
            stacklevel=5,
        )


def check_validation_data(estimator, X, X_val, y_val, sample_weight_val, y=None):
    """``(X_val, y_val as given, y_val encoded, weights)``, or None without X_val.

    Runs after the training data has been validated (``n_features_in_``,
    ``classes_``, ``n_outputs_`` set): the validation data gets the same checks
    and the same messages as the training data, converted to its dtype. A
    regressor's ``y_val`` is compared with the training targets ``y`` (encoded):
    see ``ValidationScaleWarning``.
    """
    if X_val is None and y_val is None:
        if sample_weight_val is not None:
            raise ValueError("sample_weight_val is given without X_val and y_val.")
        return None
    if X_val is None or y_val is None:
        missing = "X_val" if X_val is None else "y_val"
        raise ValueError(
            f"Validation data needs both X_val and y_val, but {missing} is None."
        )
    try:
        X_val, y_val = validate_data(
            estimator,
            X_val,
            y_val,
            reset=False,
            accept_sparse=["csr", "csc"],
            dtype=X.dtype,
            multi_output=estimator._multi_output,
            y_numeric=estimator._y_numeric,
        )
        if sp.issparse(X_val):
            X_val = X_val.tocsr()
        y_val = estimator._labels_as_vector(y_val)
        y_encoded, _ = estimator._encode_targets(y_val, first_call=False)
        if y_encoded.dtype.kind == "f":
            y_encoded = y_encoded.astype(_host_stand_in(X).dtype, copy=False)
        w_val = estimator._combined_weights(X_val, y_encoded, sample_weight_val)
        if not isinstance(X_val, np.ndarray) and not sp.issparse(X_val):
            y_encoded = move_to(
                y_encoded, xp=array_namespace(X_val), device=X_val.device
            )
    except ValueError as error:
        raise ValueError(f"Invalid validation data (X_val, y_val): {error}") from error
    if estimator._y_numeric and y is not None:
        _warn_if_other_scale(y, y_encoded)
    return X_val, y_val, y_encoded, w_val


def check_validation_split(estimator, y):
    """Raise if early stopping's split cannot be made, before it draws.

    The sizes are train_test_split's: ⌈validation_fraction · n⌉ held out, the
    rest to train on. A classifier splits stratified by class, so each class
    needs 2 samples and each side one sample per class: scikit-learn's splitter
    says whether it can (on its own stream, not the estimator's), checked first
    as in scikit-learn's MLP, and its words are quoted.
    """
    fraction = estimator.validation_fraction
    n_samples = y.shape[0]
    n_val = math.ceil(fraction * n_samples)
    n_train = n_samples - n_val
    split = (
        f"validation_fraction={fraction} of {n_samples} samples "
        f"holds out {n_val} and leaves {n_train} to train on"
    )
    remedy = (
        "Change validation_fraction, give more samples, pass validation data "
        "(X_val, y_val), or set early_stopping=False."
    )
    stratify = estimator._stratify_labels(y)
    if stratify is not None:
        splitter = StratifiedShuffleSplit(test_size=fraction, random_state=0)
        try:
            next(splitter.split(np.zeros(n_samples), stratify))
        except ValueError as error:
            counts = np.unique(y, return_counts=True)[1]
            raise ValueError(
                "With early_stopping=True the classifier holds out a split "
                "stratified by class, which needs at least 2 samples of every "
                f"class and one sample per class on each side: {split}, for "
                f"{counts.size} classes, the smallest with {counts.min()} "
                f"sample(s). {remedy} (scikit-learn's splitter: {error})"
            ) from error
    if n_val < 2 or n_train < 1:
        raise ValueError(
            f"The validation set is too small or leaves nothing to train on: "
            f"{split}; early stopping needs at least 2 held-out samples and 1 to "
            f"train on. {remedy}"
        )


def split_validation(estimator, X, y, y_raw, w):
    """Hold out ``validation_fraction``: ``(X, y, w), (X_val, y_raw_val, y_val,
    w_val)``, drawn from the estimator's random stream."""
    if not isinstance(y, np.ndarray):
        return _split_on_device(estimator, X, y, y_raw, w)
    stratify = estimator._stratify_labels(y_raw)
    arrays = (X, y, y_raw) if w is None else (X, y, y_raw, w)
    parts = train_test_split(
        *arrays,
        test_size=estimator.validation_fraction,
        random_state=estimator._rng,
        stratify=stratify,
    )
    if w is None:
        parts += [None, None]
    elif not (parts[6].sum() > 0 and parts[7].sum() > 0):
        raise ValueError(
            "With early_stopping=True both the training part and the held-out "
            f"validation part (validation_fraction={estimator.validation_fraction}) "
            "need samples of positive weight: give more samples a positive "
            "sample_weight, or set early_stopping=False."
        )
    X, X_val, y, y_val, y_raw, y_raw_val, w, w_val = parts
    return (X, y, w), (X_val, y_raw_val, y_val, w_val)


def _total(w):
    """Σ w: a Python float on numpy, a 0-d array of w's namespace elsewhere."""
    if isinstance(w, np.ndarray):
        return float(w.sum())
    return array_namespace(w).sum(w)


def _copy(flat):
    if isinstance(flat, np.ndarray):
        return flat.copy()
    return array_namespace(flat).asarray(flat, copy=True)


def _split_on_device(estimator, X, y, y_raw, w):
    """``split_validation`` for arrays outside numpy: the same split (the rows
    train_test_split draws, stratified by the labels y encodes one to one),
    taken on the device."""
    xp = array_namespace(X)
    stratify = estimator._stratify_labels(y_raw)
    train, held_out = train_test_split(
        np.arange(X.shape[0]),
        test_size=estimator.validation_fraction,
        random_state=estimator._rng,
        stratify=stratify,
    )
    if w is not None and not (
        bool(xp.sum(xp.take(w, xp.asarray(train, device=X.device))) > 0)
        and bool(xp.sum(xp.take(w, xp.asarray(held_out, device=X.device))) > 0)
    ):
        raise ValueError(
            "With early_stopping=True both the training part and the held-out "
            f"validation part (validation_fraction={estimator.validation_fraction}) "
            "need samples of positive weight: give more samples a positive "
            "sample_weight, or set early_stopping=False."
        )

    def take(rows, *arrays):
        index = xp.asarray(rows, device=X.device)
        return [None if a is None else xp.take(a, index, axis=0) for a in arrays]

    X_train, y_train, w_train = take(train, X, y, w)
    X_val, y_val, w_val = take(held_out, X, y, w)
    return (X_train, y_train, w_train), (X_val, y_raw[held_out], y_val, w_val)


def validation_loss(params, X, y, w):
    """The data term of the loss on (X, y, w) (§1 conventions, no L2 term)."""
    n = X.shape[0] if w is None else _total(w)
    (a_L,) = deque(layer_outputs(params, X), maxlen=1)
    return float(loss_and_output_delta(params.architecture, a_L, y, w, n)[0])


def _takes_sample_weight(scoring):
    """Whether a scoring callable accepts ``sample_weight`` (True when its
    signature cannot be read: then the call itself will tell)."""
    if isinstance(scoring, str):
        return True
    try:
        parameters = inspect.signature(scoring).parameters.values()
    except (TypeError, ValueError):
        return True
    return any(
        p.name == "sample_weight" or p.kind is inspect.Parameter.VAR_KEYWORD
        for p in parameters
    )


class NoValidation:
    """No validation data: nothing to record, no best weights to keep."""

    keeps_best = False

    def evaluate(self, params):
        return None

    def restore_best(self, params):
        pass


class Validation:
    """Scores the network on validation data after every epoch.

    Records the validation loss and the score ``scoring`` asks for on the
    estimator; with ``keep_best`` (early stopping) keeps a copy of the weights of
    the best score. ``continued`` appends to the curves of the previous call
    (``partial_fit``) instead of starting them afresh.
    """

    def __init__(self, estimator, data, params, *, keep_best, continued):
        self.estimator = estimator
        self.X, self.y_raw, self.y, self.w = data
        self.keep_best = keep_best
        self.best_epoch = None  # of this call, counted from 1
        self.best_flat = _copy(params.flat) if keep_best else None
        self._warned = False
        self._score = self._make_score(estimator)
        if not (continued and estimator.validation_scores_ is not None):
            estimator.validation_scores_ = []
            estimator.validation_loss_curve_ = []
            estimator.best_validation_score_ = -np.inf

    def _make_score(self, estimator):
        scoring = estimator.scoring
        if scoring is None:
            return lambda params, loss: estimator._validation_score(
                params, self.X, self.y, self.w
            )
        if scoring == "loss":
            return lambda params, loss: -loss
        scorer = check_scoring(estimator, scoring)
        weights = {} if self.w is None else {"sample_weight": self.w}
        if weights and not _takes_sample_weight(scoring):
            raise ValueError(
                f"scoring={scoring!r} is called as scoring(estimator, X_val, y_val, "
                "sample_weight=...) because the validation data is weighted (by "
                "sample_weight_val, the held-out part of sample_weight, or "
                "class_weight), but it takes no sample_weight argument. Give it a "
                "sample_weight=None parameter, or build it with "
                "sklearn.metrics.make_scorer."
            )

        def score(params, loss):
            # a copy of the estimator that predicts with the weights of now
            model = copy.copy(estimator)
            model.__dict__["_params"] = params
            model.__dict__.pop("feature_names_in_", None)  # X is an array here
            return float(scorer(model, self.X, self.y_raw, **weights))

        return score

    def evaluate(self, params):
        """Record the loss and score of ``params``; whether the score improved on
        the best so far by at least ``tol``."""
        estimator = self.estimator
        loss = validation_loss(params, self.X, self.y, self.w)
        # a network whose outputs overflow scores NaN, as in scikit-learn's MLP
        # (scorers refuse non-finite predictions), and never counts as improved
        score = self._score(params, loss) if math.isfinite(loss) else math.nan
        estimator.validation_loss_curve_.append(loss)
        estimator.validation_scores_.append(score)
        if not (math.isfinite(score) and math.isfinite(loss)):
            self._report_nonfinite(loss, score)
        improved = score >= estimator.best_validation_score_ + estimator.tol
        if score > estimator.best_validation_score_:
            estimator.best_validation_score_ = score
            self.best_epoch = len(estimator.validation_scores_)
            if self.keep_best:
                self.best_flat = _copy(params.flat)
        return improved

    @property
    def keeps_best(self):
        """Whether early stopping holds the weights of a finite best score."""
        return self.keep_best and np.isfinite(self.estimator.best_validation_score_)

    def _report_nonfinite(self, loss, score):
        """A non-finite validation score under early stopping before any finite
        one is an error (no score would ever beat it, and fit would return the
        initial weights); any other non-finite score or loss a warning, once a
        call, but for a diverging run, which the epoch loop ends at the best
        weights with a ConvergenceWarning of its own."""
        estimator = self.estimator
        scoring = estimator.scoring
        what = (
            f"validation score (scoring={scoring!r}) is {score}"
            if not math.isfinite(score)
            else f"validation loss is {loss}"
        )
        n_val = self.X.shape[0]
        r2 = scoring is None and estimator._y_numeric  # a regressor's score
        hint = (
            f"The validation data has {n_val} sample(s)"
            + (": R² is undefined for fewer than 2." if n_val < 2 and r2 else ".")
            + " Give more validation data (X_val, y_val, or a larger "
            "validation_fraction), or a scoring that is defined on it."
        )
        epoch = len(estimator.validation_scores_)
        if self.keep_best and not (math.isfinite(score) or self.keeps_best):
            raise ValueError(
                f"Early stopping cannot compare epochs: the {what} after epoch "
                f"{epoch}, so no later epoch could improve on the initial weights. "
                f"{hint} The estimator was left as it was before this call."
            )
        if self.keeps_best and not math.isfinite(estimator.loss_):
            return  # a diverging run: the epoch loop ends it at the best weights
        if not self._warned:
            self._warned = True
            warnings.warn(
                f"The {what} after epoch {epoch}; validation_scores_ and "
                f"validation_loss_curve_ record it as such. {hint}",
                UserWarning,
                stacklevel=6,
            )

    def restore_best(self, params):
        """Early stopping keeps the weights of the best score."""
        if self.keep_best:
            params.flat[...] = self.best_flat
