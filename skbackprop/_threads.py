"""scipy's BLAS held to one thread while L-BFGS-B runs.

numpy and scipy wheels each bundle their own OpenBLAS, each with its own pool of
threads. L-BFGS-B does its vector work (dot products, axpys over every parameter)
in scipy's, between the objective's matrix products in numpy's: two pools spinning
on the same cores slowed a fit 2–3×. One thread is plenty for vector work, so
scipy's pool is held to one thread for the duration of the optimisation and given
back its size afterwards. Where scipy and numpy share one BLAS (conda, system
builds) there is no second pool and nothing is changed.

The thread count is the library's, not the calling thread's: with fits running
in several threads, the first to enter sets the limit and the last to leave
restores it.
"""

import os
import threading
from contextlib import contextmanager

_lock = threading.Lock()
_holders = 0  # optimisations running inside ``scipy_blas_single_threaded``
_restore = []  # (setter, thread count) to put back when the last one leaves
_setters = None  # per scipy-only BLAS library: n -> the count it replaces


def _package_dirs(module):
    root = os.path.realpath(os.path.dirname(module.__file__))
    return (root + os.sep, root + ".libs" + os.sep)  # wheels vendor into NAME.libs


def scipy_blas_libraries():
    """threadpoolctl controllers of the BLAS libraries that ship inside scipy's
    own package (none where scipy uses the same library as numpy)."""
    import numpy
    import scipy
    import scipy.linalg  # noqa: F401  (loads scipy's BLAS)
    from threadpoolctl import ThreadpoolController  # scikit-learn requires it

    ours, numpys = _package_dirs(scipy), _package_dirs(numpy)
    return [
        lib
        for lib in ThreadpoolController().lib_controllers
        if lib.user_api == "blas"
        and os.path.realpath(lib.filepath).startswith(ours)
        and not os.path.realpath(lib.filepath).startswith(numpys)
    ]


def _thread_count_setter(lib):
    """A function n -> previous count that sets ``lib``'s pool to n threads.

    OpenBLAS ≥ 0.3.27 has ``openblas_set_num_threads_local``, which returns the
    count it replaces and, unlike ``openblas_set_num_threads``, is not ignored
    when called from another thread than the main one once the main one has set
    a count (a fit in a GridSearchCV thread would otherwise run unlimited).
    """
    local = getattr(lib.dynlib, "openblas_set_num_threads_local", None)
    if lib.internal_api == "openblas" and local is not None:
        return local

    def swap(n_threads):
        previous = lib.num_threads
        lib.set_num_threads(n_threads)
        return previous

    return swap


@contextmanager
def scipy_blas_single_threaded():
    """Hold scipy's own BLAS to one thread inside the block."""
    global _holders, _setters
    with _lock:
        if _setters is None:  # the libraries loaded do not change: look once
            _setters = [_thread_count_setter(lib) for lib in scipy_blas_libraries()]
        if _holders == 0:
            _restore[:] = [(setter, setter(1)) for setter in _setters]
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0:
                for setter, n_threads in _restore:
                    setter(n_threads)
                _restore.clear()
