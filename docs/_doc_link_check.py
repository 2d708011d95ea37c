"""A check run by the docs build: the HTML repr's "?" link lands on a built page.

Every public estimator's ``_get_doc_link()`` is ``DOCS_ROOT_URL`` followed by a
path inside the site; once the HTML is written, that path must be a file of the
build. A missing page is a warning, which ``-W`` turns into a failed build.
"""

from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)


def estimator_pages():
    """The site path of each public estimator's "?" link, by estimator name."""
    from sklearn.base import BaseEstimator

    import skbackprop
    from skbackprop._base import DOCS_ROOT_URL

    pages = {}
    for name in skbackprop.__all__:
        cls = getattr(skbackprop, name)
        if isinstance(cls, type) and issubclass(cls, BaseEstimator):
            link = cls()._get_doc_link()
            if not link.startswith(DOCS_ROOT_URL) or "#" in link:
                pages[name] = None
            else:
                pages[name] = link[len(DOCS_ROOT_URL) :]
    return pages


def _check(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    for name, page in estimator_pages().items():
        if page is None:
            logger.warning(f"{name}'s doc link is not under DOCS_ROOT_URL, or has '#'")
        elif not (Path(app.outdir) / page).is_file():
            logger.warning(f"{name}'s doc link points at {page}, not built")


def setup(app):
    app.connect("build-finished", _check)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
