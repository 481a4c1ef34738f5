"""The public API survives the redesign: every name docs/api.md describes works, and every name
that moved keeps the import path the docs gave it before (issue 20: "a moved name keeps its old
import path").

The lists below were read off the package and the docs as they were before the redesign (the
package's ``__all__``, ``plot.__all__``, and every ``from tinygrad_lr... import`` and
``tinygrad_lr.x.y`` the README and docs/ named); they are frozen here on purpose.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

import tinygrad_lr

ROOT = Path(__file__).resolve().parent.parent

BEFORE_ALL = """LinearRegression sse mse GD SGD MiniBatchSGD Newton Momentum Nesterov Adagrad RMSprop
Adam AdamW Optimizer LRScheduler StepLR ExponentialLR CosineAnnealingLR LinearLR fit History DivergenceError
max_stable_lr Dataset DataError load_csv from_arrays make_linear_data batch_indices gradcheck
check_gradient_fn check_linear_regression analytic_grads numerical_grads per_sample_breakdown GradReport
Tensor Value draw_graph save_graph backward_steps walkthrough_text write_walkthrough no_grad enable_grad grad
hessian hvp largest_eigenvalue detect_anomaly AnomalyError save load compile_step CompileWarning
__version__""".split()
BEFORE_PLOT = "new_figure fit_line loss_curves loss_vs_w loss_landscape optimizer_paths lr_sweep save".split()
BEFORE_DOCS = {  # module -> the names the docs imported from it ("" : the module or name itself)
    "tinygrad_lr.cli": "main",
    "tinygrad_lr.closed_form": "lstsq",
    "tinygrad_lr.compile": "compile_step",
    "tinygrad_lr.data": "CSVStream train_test_split as_generator memory_budget",
    "tinygrad_lr.errors": "InputError",
    "tinygrad_lr.exercises": "check",
    "tinygrad_lr.gradcheck": "",
    "tinygrad_lr.graph": "gc_paused is_grad_enabled topological_order",
    "tinygrad_lr.losses": "get_loss",
    "tinygrad_lr.metrics": "regression_metrics",
    "tinygrad_lr.models": "loss_hessian",
    "tinygrad_lr.ops": "unbroadcast",
    "tinygrad_lr.optim": "Adam make_optimizer",
    "tinygrad_lr.pictures": "Pictures",
    "tinygrad_lr.replay": "Recorder record replay_widget save_animation write_replay",
    "tinygrad_lr.scaling": "Standardizer",
    "tinygrad_lr.tensor": "concatenate stack",
    "tinygrad_lr.train": "evaluate_loss fit History",
    "tinygrad_lr.train_stream": "fit_stream",
    "tinygrad_lr.viz": "walkthrough_frames Picture",
}


@pytest.mark.parametrize("module", sorted(BEFORE_DOCS))
def test_every_import_path_the_docs_gave_before_still_works(module):
    imported = importlib.import_module(module)
    missing = [name for name in BEFORE_DOCS[module].split() if not hasattr(imported, name)]
    assert missing == [], f"{module} lost {missing}"


def test_the_top_level_and_plot_names_of_before_are_all_still_there():
    from tinygrad_lr import plot

    assert [n for n in BEFORE_ALL if n not in tinygrad_lr.__all__ or not hasattr(tinygrad_lr, n)] == []
    assert [n for n in BEFORE_PLOT if n not in plot.__all__ or not hasattr(plot, n)] == []


def _resolve(path: str) -> object | None:
    """The object at a dotted path (``tinygrad_lr.train.FitOptions``), or None."""
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):  # the longest importable prefix, then attributes
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            if not hasattr(obj, attr):
                return None
            obj = getattr(obj, attr)
        return obj
    return None


def test_every_name_docs_api_md_describes_works():
    """Each table row's name (first column) is found where the page says: a public name of the
    package or of ``plot``, or in a module the row or its section names (``tinygrad_lr.train``);
    and every dotted ``tinygrad_lr.x.y`` on the page resolves."""
    text = (ROOT / "docs" / "api.md").read_text()
    unknown, rows, section = [], 0, ""
    for line in text.splitlines():
        section = line if line.startswith("#") else f"{section}\n{line}"  # the text since the heading
        if not re.match(r"\| `", line):
            continue
        names = re.findall(r"`([A-Za-z_][\w.]*)`", line.split(" | ")[0])
        rows += 1
        named = re.findall(r"(tinygrad_lr(?:\.\w+)+)", section)
        prefixes = {".".join(path.split(".")[:k]) for path in named for k in range(2, path.count(".") + 2)}
        places = ["tinygrad_lr", "tinygrad_lr.plot", *sorted(prefixes)]
        unknown += [n for n in names if all(_resolve(f"{place}.{n}") is None for place in places)]
    assert rows > 90  # the tables were read
    assert unknown == []
    dotted = set(re.findall(r"`(tinygrad_lr(?:\.\w+)+)", text))
    assert len(dotted) > 5, "the page names modules by their paths"
    assert [path for path in sorted(dotted) if _resolve(path) is None] == []
