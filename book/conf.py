"""Sphinx configuration of the series' book (``make book``; ``scripts/build_book.py`` assembles
the pages: README.md as the landing page, the notebooks with their committed outputs, docs/ and
the package's API reference). MyST-NB reads the notebooks without executing them; the theme is
sphinx-book-theme. Nothing is loaded from the network: MathJax is copied into the site."""

project = "vaetutor"
author = "the vaetutor authors"
copyright = "vaetutor authors; MNIST: LeCun & Cortes (CC BY-SA 3.0); Fashion-MNIST: Zalando SE (MIT)"
root_doc = "index"

# napoleon reads the docstrings' "Args:" sections
extensions = ["myst_nb", "sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx.ext.mathjax"]
exclude_patterns = ["_build", "**/.ipynb_checkpoints", "**/nbgrader_config.py"]

# The notebooks are shown as committed (or as make run has just executed them): never executed.
nb_execution_mode = "off"
# show_source's text/markdown (the package's code, highlighted) before plain text; GIFs as images
nb_mime_priority_overrides = [("html", "image/gif", 15)]
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
myst_update_mathjax = False

# MathJax 2, copied by build_book.py from the jupyter-server-mathjax package into _static/mathjax
# (12 MB) with its STIX-Web fonts: the equations typeset offline, from a page opened as a file.
html_static_path = ["_static"]
html_css_files = ["vaetutor.css"]    # book/vaetutor.css: larger thumbnails on the landing page
mathjax_path = "mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe"
mathjax2_config = {"HTML-CSS": {"availableFonts": [], "preferredFont": None,
                                "webFont": "STIX-Web", "imageFont": None}}

autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_typehints = "description"
# Keras' own docstrings (Layer.from_config ...) are not the package's to show
autodoc_inherit_docstrings = False

html_theme = "sphinx_book_theme"
html_title = "vaetutor: variational autoencoders, one notebook at a time"
html_theme_options = {
    "use_download_button": True,        # each page's source (.ipynb for a notebook)
    "use_fullscreen_button": False,
    "show_toc_level": 2,
    "home_page_in_toc": True,
    "navigation_with_keys": False,
}
html_last_updated_fmt = None
html_show_sphinx = False
