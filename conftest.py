"""Test-session setup shared by the whole suite.

scikit-learn's ``check_array_api_input`` only runs when SciPy's array API support
is switched on, and SciPy reads the variable once, at import: set it first.
"""

import os

os.environ.setdefault("SCIPY_ARRAY_API", "1")
