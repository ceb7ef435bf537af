"""A Jupyter notebook handed in instead of the .py: its code cells, in order, as one Python file.

IPython magics (`%matplotlib inline`, a `%%time` cell) and shell lines (`!pip install ...`) are
left out: they are not Python, and grading runs no commands. The notebook's JSON is read directly
(nbformat 4: cells with cell_type and source); its outputs are ignored.
"""

import json
from pathlib import Path

from trainer.errors import UserError


def python_from_notebook(path: Path) -> str:
    try:
        notebook = json.loads(path.read_text(errors="replace"))
        cells = notebook["cells"]
    except (json.JSONDecodeError, KeyError, TypeError):
        raise UserError(
            f"{path.name} is not a Jupyter notebook that can be read (no JSON with a list of cells); "
            f"hand in the .py file, or save the notebook again from Jupyter."
        ) from None
    blocks = []
    for number, cell in enumerate(cells, 1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        lines = ("".join(source) if isinstance(source, list) else str(source)).splitlines()
        if lines and lines[0].lstrip().startswith("%%"):
            continue  # a cell magic makes the whole cell something other than Python
        kept = [_without_magic(line) for line in lines]
        blocks.append(f"# cell {number}\n" + "\n".join(kept))
    return "\n\n".join(blocks) + "\n"


def _without_magic(line: str) -> str:
    """`%timeit f()` -> `pass  # left out: %timeit f()`, indented as it was (it may be inside a block)."""
    code = line.lstrip()
    if not code.startswith(("%", "!")):
        return line
    return f"{line[: len(line) - len(code)]}pass  # left out: {code}"
