"""Write the small intersphinx inventories used when the build is offline.

``docs/conf.py`` gives each intersphinx target its published ``objects.inv`` first
and the file written here second. Online, Sphinx reads the published inventory;
offline (the CI machine reaches package registries only, no documentation site),
that fetch fails and Sphinx falls back to these files, which list just the names
the site links to, with their real addresses on the published sites. Add a name
here when a page links a new one, then run
``python docs/_inventories/make_inventories.py``.
"""

import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent

# project -> (version, [(name, domain:role, uri from the site root; $ is the name)])
INVENTORIES = {
    "python": (
        "3",
        [
            ("pickle", "py:module", "library/pickle.html#module-$"),
            ("float", "py:class", "library/functions.html#$"),
            ("int", "py:class", "library/functions.html#$"),
            ("str", "py:class", "library/stdtypes.html#$"),
            ("dict", "py:class", "library/stdtypes.html#$"),
            ("tuple", "py:class", "library/stdtypes.html#$"),
            ("list", "py:class", "library/stdtypes.html#$"),
            ("ValueError", "py:exception", "library/exceptions.html#$"),
            ("TypeError", "py:exception", "library/exceptions.html#$"),
        ],
    ),
    "numpy": (
        "stable",
        [
            ("numpy.ndarray", "py:class", "reference/generated/$.html#$"),
            ("numpy.memmap", "py:class", "reference/generated/$.html#$"),
            ("numpy.float32", "py:attribute", "reference/arrays.scalars.html#$"),
            ("numpy.float64", "py:attribute", "reference/arrays.scalars.html#$"),
            ("numpy.dtype", "py:class", "reference/generated/$.html#$"),
        ],
    ),
    "scipy": (
        "stable",
        [
            (
                "scipy.optimize.minimize",
                "py:function",
                "reference/generated/$.html#$",
            ),
            (
                "scipy.optimize.fmin_l_bfgs_b",
                "py:function",
                "reference/generated/$.html#$",
            ),
        ],
    ),
    "sklearn": (
        "stable",
        [
            (name, "py:class", "modules/generated/$.html#$")
            for name in (
                "sklearn.neural_network.MLPClassifier",
                "sklearn.neural_network.MLPRegressor",
                "sklearn.pipeline.Pipeline",
                "sklearn.model_selection.GridSearchCV",
                "sklearn.compose.TransformedTargetRegressor",
                "sklearn.preprocessing.StandardScaler",
                "sklearn.ensemble.HistGradientBoostingRegressor",
            )
        ]
        + [
            (
                "sklearn.utils.estimator_checks.check_estimator",
                "py:function",
                "modules/generated/$.html#$",
            ),
            # referred to by the docstrings of the methods inherited from
            # scikit-learn (score, get_metadata_routing, set_*_request)
            ("r2_score", "std:label", "modules/model_evaluation.html#r2-score"),
            (
                "accuracy_score",
                "std:label",
                "modules/model_evaluation.html#accuracy-score",
            ),
            ("metadata_routing", "std:label", "metadata_routing.html#metadata-routing"),
            ("meta-estimator", "std:term", "glossary.html#term-meta-estimator"),
        ],
    ),
}


def inventory(project, version, entries):
    """The bytes of a version-2 ``objects.inv`` holding ``entries``."""
    header = (
        "# Sphinx inventory version 2\n"
        f"# Project: {project}\n"
        f"# Version: {version}\n"
        "# The remainder of this file is compressed using zlib.\n"
    )
    lines = "".join(
        f"{name} {role} 1 {uri.replace('$', name)} -\n" for name, role, uri in entries
    )
    return header.encode() + zlib.compress(lines.encode())


def main():
    for project, (version, entries) in INVENTORIES.items():
        (HERE / f"{project}.inv").write_bytes(inventory(project, version, entries))


if __name__ == "__main__":
    main()
