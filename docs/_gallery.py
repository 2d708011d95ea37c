"""The gallery's glue: the command line sphinx-gallery gives each example (named
by string in conf.py, so that the configuration stays picklable), and the
examples' Markdown headings read as reStructuredText."""

import re
from pathlib import Path

OUTPUT = Path(__file__).resolve().parent / "_build" / "example_output"


def reset_argv(gallery_conf, script_vars):
    """The command line of every example: its own figures go to the build folder.

    Parameters
    ----------
    gallery_conf : dict
        sphinx-gallery's configuration.
    script_vars : dict
        What sphinx-gallery knows of the script being run.

    Returns
    -------
    list of str
        The arguments after the script's name.
    """
    return ["--output", str(OUTPUT)]


MARKDOWN_HEADING = re.compile(r"^## (?P<title>.+)$", re.MULTILINE)


def markdown_headings(app, docname, source):
    """Turn the examples' Markdown cell headings (``# ## Title``) into rst ones.

    The example scripts are Jupytext-style files whose text cells are Markdown;
    sphinx-gallery reads those cells as reStructuredText, where everything else
    they use (double-backtick code, lists) means the same, but ``## Title`` is no
    heading. Applied to the gallery's generated pages only.

    Parameters
    ----------
    app : sphinx.application.Sphinx
        The running Sphinx.
    docname : str
        The page being read.
    source : list of str
        The page's text, in a one-element list changed in place.
    """
    if docname.startswith("auto_examples/"):
        source[0] = MARKDOWN_HEADING.sub(
            lambda m: f"{m['title']}\n{'-' * (len(m['title']) + 2)}", source[0]
        )


def setup(app):
    """Register :func:`markdown_headings` (the gallery's rst pages).

    Parameters
    ----------
    app : sphinx.application.Sphinx
        The running Sphinx.

    Returns
    -------
    dict
        The extension's metadata.
    """
    app.connect("source-read", markdown_headings)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
