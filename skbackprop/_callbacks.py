"""Progress reporting through scikit-learn's callback API (``sklearn.callback``).

A fit is the root task and every epoch (lbfgs: every iteration) one subtask, so
``est.set_callbacks(ProgressBar())`` shows a live bar and ``ScoringMonitor``
records a score per epoch. scikit-learn < 1.9 has no callback API: the estimators
then train without it.
"""

try:
    from sklearn.callback import CallbackSupportMixin
except ImportError:  # scikit-learn < 1.9

    class CallbackSupportMixin:
        """Without ``sklearn.callback`` there is nothing to set callbacks on."""


# Set by scikit-learn's callback machinery during a fit; kept across a rollback so
# that the callbacks are still torn down when the fit fails.
CALLBACK_STATE = ("_callback_fit_ctx", "_skl_callbacks_to_teardown")


class _NoCallbacks:
    """The callback context's interface, doing nothing."""

    def subcontext(self, **kwargs):
        return self

    def call_on_fit_task_begin(self, **kwargs):
        return self

    def call_on_fit_task_end(self, **kwargs):
        return False


class EpochCallbacks:
    """Reports one training call (the root task) and its epochs (the subtasks)."""

    def __init__(self, estimator, max_epochs, X, y, sample_weight):
        init = getattr(estimator, "_init_callback_context", None)
        if not getattr(estimator, "_skl_callbacks", None):
            init = None  # no callback to tell: skip the contexts, per call and epoch
        self._root = _NoCallbacks() if init is None else init(max_subtasks=max_epochs)
        self._estimator = estimator
        self._dtype = X.dtype  # the model's: a snapshot of an lbfgs iterate is cast
        self._data = {"X": X, "y": y}
        self._metadata = (
            {} if sample_weight is None else {"sample_weight": sample_weight}
        )
        self._epoch = None
        self._root.call_on_fit_task_begin(estimator=estimator, **self._data)

    def _snapshot(self, params):
        # What a copy of the estimator needs to predict as of now.
        return lambda: {"_params": params.copy(self._dtype)}

    def begin_epoch(self, params=None):
        """Report an epoch about to start from ``params`` (None: not known)."""
        self._epoch = self._root.subcontext(task_name="epoch")
        self._epoch.call_on_fit_task_begin(
            estimator=self._estimator,
            reconstruction_attributes=None
            if params is None
            else self._snapshot(params),
        )

    def end_epoch(self, params):
        """Report the finished epoch; True when a callback asks training to stop."""
        return self._epoch.call_on_fit_task_end(
            estimator=self._estimator,
            metadata=self._metadata,
            reconstruction_attributes=self._snapshot(params),
            **self._data,
        )

    def end(self, params):
        self._root.call_on_fit_task_end(
            estimator=self._estimator,
            metadata=self._metadata,
            reconstruction_attributes=self._snapshot(params),
            **self._data,
        )
