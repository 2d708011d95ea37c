"""Input the estimators refuse before scikit-learn's validation sees it.

With ``sklearn.set_config(array_api_dispatch=True)`` scikit-learn validates an
array in its own namespace (torch, CuPy, array_api_strict, …), and asking it for a
numpy dtype fails deep inside with an obscure ``TypeError``. The network computes
in numpy: say so, and how to hand it numpy arrays.
"""

import scipy.sparse as sp
from sklearn import get_config
from sklearn.utils._array_api import _is_numpy_namespace, get_namespace


def check_numpy_input(estimator, method=None, **arrays):
    """Raise a ``TypeError`` for a non-numpy array under array API dispatch.

    ``arrays`` maps each argument's name to its value (None, lists, pandas and
    scipy sparse input pass: scikit-learn converts them to numpy).
    """
    if not get_config()["array_api_dispatch"]:
        return
    caller = type(estimator).__name__ + ("" if method is None else f".{method}")
    for name, value in arrays.items():
        if value is None or sp.issparse(value):
            continue
        xp, _ = get_namespace(value)
        if _is_numpy_namespace(xp):
            continue
        raise TypeError(
            f"{caller} computes in numpy, but {name} is not a numpy array (it is "
            f"{type(value).__module__}.{type(value).__name__}, array namespace "
            f"{getattr(xp, '__name__', xp)!r}) and array_api_dispatch is on. Pass "
            f"numpy arrays: np.asarray({name}) (for a torch tensor on a GPU, "
            f"{name}.cpu().numpy()), or call sklearn.set_config("
            "array_api_dispatch=False) around this estimator."
        )
