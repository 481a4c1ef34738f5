"""Training: :func:`fit`, its :class:`History`, its options and its guard against divergence.

The package, one file per idea:

* :mod:`.loop` -- :func:`fit`, the loop: epochs of zero_grad / forward / loss / backward / step;
* :mod:`.options` -- :class:`FitOptions`, the options ``fit``, ``replay.record`` and the command
  line share, checked in one place;
* :mod:`.run` -- everything one run needs, checked and built before the first update;
* :mod:`.sources` -- the batches: data in memory, or a CSV file read a chunk at a time;
* :mod:`.steps` -- one update's forward and backward, eager or compiled; :class:`FitUpdate`;
* :mod:`.guard` -- divergence, patience and convergence: :class:`DivergenceError`;
* :mod:`.hints` -- which learning rate is stable, said in a sentence;
* :mod:`.history` -- :class:`History`, what a run did;
* :mod:`.standardize` -- training on standardized features; :mod:`.progress` -- the progress bar.
"""

from .guard import DivergenceError, Guard
from .history import History
from .loop import fit
from .options import FitOptions, OptionError
from .progress import PROGRESS_MIN_WORK
from .run import SQUARES_FIX
from .sources import evaluate_loss, grad_norm
from .steps import FitUpdate, register_compiler

__all__ = [
    "fit",
    "History",
    "DivergenceError",
    "FitUpdate",
    "FitOptions",
    "OptionError",
    "Guard",
    "evaluate_loss",
    "grad_norm",
    "register_compiler",
    "PROGRESS_MIN_WORK",
    "SQUARES_FIX",
]
