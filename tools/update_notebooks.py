"""Maintenance: run the notebooks whose outputs are committed and store their outputs.

GitHub shows a notebook with the outputs it stores, so a learner sees the figures on the
repository's web page before running anything. ``tests/test_notebooks.py`` runs each of them on
a fresh kernel and checks the stored outputs are exactly what the run shows today (every
printed line, every picture pixel for pixel); when a change to the code changes them, run::

    python tools/update_notebooks.py            # all of them
    python tools/update_notebooks.py 04_seeing_a_fit.ipynb
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from notebooks import NOTEBOOKS, STORED  # noqa: E402


def main(names: list[str]) -> int:
    import nbformat
    from nbclient import NotebookClient

    for name in names or STORED:
        if name not in STORED:
            print(f"{name} is not one of the notebooks with stored outputs: {', '.join(STORED)}")
            return 2
        nb = nbformat.read(NOTEBOOKS / name, as_version=4)
        NotebookClient(nb, timeout=300, kernel_name="python3", record_timing=False,
                       resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
        nb.metadata.pop("widgets", None)
        nbformat.write(nb, NOTEBOOKS / name)
        print(f"wrote {NOTEBOOKS / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
