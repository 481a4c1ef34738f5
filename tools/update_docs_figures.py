"""Maintenance: refresh the example figures the docs embed (``docs/images/examples/``), the
pictures the pages of :data:`PAGES` draw with the code they show (``docs/images/logistic_*``),
and the picture of how the package is layered (``docs/images/layers.svg``, by
``tools/draw_layers.py``).

Not an example itself: it runs every script of ``examples/`` into a temporary folder and copies
the one or two pictures per example that ``docs/examples.md`` and ``docs/optimizers.md`` embed,
so each embedded picture is exactly what the script shown next to it draws.
``tests/test_examples.py`` checks that the committed pictures still match what the scripts
draw today. Run it from anywhere after changing an example or the plot module::

    python tools/update_docs_figures.py
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import runpy
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
TARGET = ROOT / "docs" / "images" / "examples"
FIGURES = {  # example -> the files docs/examples.md embeds
    "01_one_step_by_hand": ["graph.svg", "after_step.png"],
    "02_fit_three_points": ["fit_three_points.png", "fit_not_on_a_line.png"],
    "03_fit_csv": ["fit.png", "loss.png"],
    "04_sgd_synthetic": ["loss_curves.png"],
    "05_update_rules": ["update_rules.png", "learning_rates.png"],
    "06_gd_sgd_minibatch": ["loss_curves.png"],
    "07_escaping_local_minima": ["function.png"],
    "08_loss_landscape": ["landscape.png", "stability_losses.png"],
    "09_newton_vs_gd": ["newton_vs_gd.png"],
    "10_optimizers": ["comparison.png", "lr_sweep.png"],
}


# pages whose own code blocks draw the pictures they embed (into docs/images/): run with
# tests/docs_check.py, which executes a page's blocks with the repository's docs/images/
PAGES = ["docs/logistic.md"]


def draw_pages() -> int:
    """Run each page of :data:`PAGES` so its code writes its pictures again."""
    sys.path.insert(0, str(ROOT / "tests"))
    import docs_check

    return docs_check.main([str(ROOT / page) for page in PAGES])


def main() -> int:
    status = draw_pages()
    TARGET.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name, files in FIGURES.items():
            spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            with contextlib.redirect_stdout(io.StringIO()):
                module.main(["--out", str(Path(tmp) / name)])
            for f in files:
                dest = TARGET / f"{name}_{f}"
                shutil.copyfile(Path(tmp) / name / f, dest)
                print(f"wrote {dest.relative_to(ROOT)}")
    layers = runpy.run_path(str(ROOT / "tools" / "draw_layers.py"))["main"]()
    return status or layers


if __name__ == "__main__":
    sys.exit(main())
