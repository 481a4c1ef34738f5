"""Replaying a fit: record every update, then watch it in linked views.

* :func:`record` trains with :func:`~tinygrad_lr.fit` (through its ``callback``) and keeps
  every update's numbers in a :class:`Recording`;
* :func:`write_replay` writes one self-contained HTML page that steps through it: the
  computation graph of each update (forward values, then gradients, then the new parameters),
  the data with the current line, the loss landscape with the path so far, the loss curve
  and the update written out with real numbers, all showing the same moment;
* :func:`replay_widget` shows the same view in Jupyter (the ``widget`` extra), and
  :func:`save_animation` writes it as an animated GIF or MP4 (the ``plot`` extra).
"""

from ..viz.update_graphs import frame_updates
from .animate import save_animation
from .page import check_replay_folder, write_replay
from .record import MAX_SAMPLES, MAX_UPDATES, Recorder, Recording, ReplayTooLargeError, record
from .widget import ReplayWidget, replay_widget

__all__ = [
    "record",
    "write_replay",
    "save_animation",
    "replay_widget",
    "ReplayWidget",
    "check_replay_folder",
    "frame_updates",
    "Recording",
    "Recorder",
    "ReplayTooLargeError",
    "MAX_UPDATES",
    "MAX_SAMPLES",
]
