"""Show the package's code in a notebook: whole functions or classes, syntax-highlighted."""

from __future__ import annotations

import inspect
import textwrap


class Source:
    """The source code of some functions, methods or classes, for display in a notebook.

    Rendered as a fenced Python block (``text/markdown``), which JupyterLab, nbconvert's HTML
    and the book highlight; its plain-text form (``repr``, what a terminal or nbval sees) is
    the code itself.
    """

    def __init__(self, *objects):
        if not objects:
            raise ValueError("show_source needs at least one function, method or class")
        self.text = "\n\n".join(textwrap.dedent(inspect.getsource(o)).rstrip() for o in objects)

    def _repr_markdown_(self) -> str:
        return f"```python\n{self.text}\n```"

    def __repr__(self) -> str:
        return self.text


def show_source(*objects) -> Source:
    """``Source`` of each of ``objects``, shown one after the other (the last value of a cell
    is displayed)."""
    return Source(*objects)
