"""Sphinx configuration of the skbackprop documentation site.

Build it from the repository root with::

    python -m pip install -e ".[docs]"
    python -m sphinx -W --keep-going -b html docs docs/_build/html

Pages: ``index.md`` (landing), ``getting_started.md``, ``user_guide.md`` (whose
toctree takes every ``guide/*.md``), ``api.rst`` (autosummary stubs generated into
``api/generated/``), the gallery (sphinx-gallery runs ``examples/`` into
``auto_examples/``) and ``derivations.md``. Markdown pages are read by MyST.
"""

import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(DOCS))  # the local extensions (_gallery, _doc_link_check)
sys.path.insert(0, str(ROOT))  # this checkout's package, whatever is installed

import skbackprop  # noqa: E402

project = "skbackprop"
author = "the skbackprop developers"
copyright = "the skbackprop developers"
release = skbackprop.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
    "_doc_link_check",
    "_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = [
    "_build",
    "README.md",  # how to build these docs: for the repository, not the site
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
    "auto_examples/*.zip",
    "auto_examples/*.md5",
    "auto_examples/*.json",
]
templates_path = ["_templates"]
# `x` in reStructuredText (docstrings, the examples' text) is code, as in Markdown
default_role = "literal"

# -- MyST: the guide pages and docs/derivations.md ---------------------------------
# derivations.md writes $…$ inline and $$…$$ display math (as GitHub renders it):
# dollarmath turns both into MathJax math; amsmath takes \begin{aligned} & co.
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3  # [text](#a-heading) links, as on GitHub
myst_dmath_double_inline = True

# -- API reference: autosummary stubs + numpydoc -----------------------------------
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": True}
autodoc_typehints = "none"
numpydoc_show_class_members = True
numpydoc_show_inherited_class_members = True
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
# numpydoc checks every public docstring while it renders it (a failure is a
# warning, so -W fails the build). Left out, with the reason:
#   GL01 / GL02  summary on the first line or the second: both styles are used
#   SA01         a "See Also" section on every name: many have no useful neighbour
#   ES01         an extended summary even where the one-liner says it all
# Every other check, EX01 (an Examples section) included, holds for every public
# class, function and method of skbackprop.
numpydoc_validation_checks = {"all", "GL01", "GL02", "SA01", "ES01"}
# Not checked: the methods inherited from scikit-learn's mixins and from Python's
# exceptions (their docstrings are not ours to change), and __init__, whose
# parameters the class docstring documents (numpydoc's convention).
numpydoc_validation_exclude = {
    r"\.get_params$",
    r"\.set_params$",
    r"\.get_metadata_routing$",
    r"\.set_\w+_request$",
    r"\.score$",
    r"\.set_callbacks$",
    r"\.__init__$",
    r"\.add_note$",
    r"\.with_traceback$",
}

# -- Gallery: sphinx-gallery runs examples/ ----------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    # Every example runs (each takes seconds; the whole gallery about a minute)
    # except dask_lbfgs.py: at full size it trains on a 200 000-row Dask array for
    # minutes; its page shows the code, and tests/test_examples.py runs it on
    # tiny settings.
    "filename_pattern": r"^(?!.*dask_lbfgs\.py$).*\.py$",
    "ignore_pattern": r"_setup\.py$",
    "within_subsection_order": "FileNameSortKey",
    "image_scrapers": ("matplotlib",),
    "reset_argv": "_gallery.reset_argv",  # the figures go to docs/_build
    "show_memory": False,
    # the API pages list the examples that use each name (minigallery)
    "doc_module": ("skbackprop",),
    "backreferences_dir": "api/generated/backreferences",
    "download_all_examples": False,
    "remove_config_comments": True,
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,
}

# -- Intersphinx -------------------------------------------------------------------
# Each target lists the published inventory first and a small local one second
# (docs/_inventories/, written by docs/_inventories/make_inventories.py for just the
# names these pages link). Sphinx tries them in order: online, the real inventory
# is used; offline (CI here reaches package registries only) the fetch fails and the
# local file is read instead, which Sphinx reports as information, not as a
# warning, so -W holds. A short timeout keeps an offline build from hanging.
INVENTORIES = DOCS / "_inventories"
intersphinx_mapping = {
    "python": ("https://docs.python.org/3", (None, str(INVENTORIES / "python.inv"))),
    "numpy": ("https://numpy.org/doc/stable", (None, str(INVENTORIES / "numpy.inv"))),
    "scipy": (
        "https://docs.scipy.org/doc/scipy",
        (None, str(INVENTORIES / "scipy.inv")),
    ),
    "sklearn": (
        "https://scikit-learn.org/stable",
        (None, str(INVENTORIES / "sklearn.inv")),
    ),
}
intersphinx_timeout = float(os.environ.get("SKBACKPROP_DOCS_INTERSPHINX_TIMEOUT", 5))


# -- MathJax -----------------------------------------------------------------------
# The equations (derivations.md, docstrings) are typeset by MathJax 3. The docs
# extra installs it from the package index (django-static-mathjax ships MathJax
# 3.2.2's browser files and nothing else), and the build copies what typesetting
# TeX to HTML needs into the site (_static/mathjax, about 6 MB): the pages render
# their equations without a CDN, offline too. Without the package the build falls
# back to Sphinx's default CDN address.
def _mathjax_files():
    """The folder of MathJax 3's browser files, or None if it is not installed."""
    try:
        import mathjax
    except ImportError:
        return None
    folder = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
    return folder if (folder / "tex-chtml.js").is_file() else None


MATHJAX = _mathjax_files()
if MATHJAX is not None:
    mathjax_path = "mathjax/tex-chtml.js"  # relative to _static


def _copy_mathjax(app):
    """Copy tex-chtml.js and what it loads (TeX extensions, CHTML fonts, menu)."""
    if MATHJAX is None or app.builder.format != "html":
        return
    import shutil

    target = Path(app.outdir) / "_static" / "mathjax"
    shutil.copy2(MATHJAX / "tex-chtml.js", target / "tex-chtml.js")
    for part in ("input/tex", "output/chtml", "ui", "a11y", "adaptors"):
        if (MATHJAX / part).is_dir():
            shutil.copytree(MATHJAX / part, target / part, dirs_exist_ok=True)


def _make_mathjax_folder(app):
    if MATHJAX is not None:
        (Path(app.outdir) / "_static" / "mathjax").mkdir(parents=True, exist_ok=True)


def setup(app):
    """Copy the local MathJax into the site (see above)."""
    app.connect("builder-inited", _make_mathjax_folder)
    app.connect("build-finished", lambda app, exception: _copy_mathjax(app))


# -- HTML --------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skbackprop {release}"
html_theme_options = {
    "navbar_end": ["navbar-icon-links"],
    "show_toc_level": 2,
    "navigation_with_keys": False,
}
# pages without sub-pages: no empty "Section Navigation" column
html_sidebars = {"index": [], "getting_started": [], "derivations": []}
html_static_path = []
html_show_sourcelink = False
