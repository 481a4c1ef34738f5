"""Matplotlib figures, one file per family: the fitted line (:mod:`.fit`), loss curves
(:mod:`.curves`), ``loss(w)`` with its tangent (:mod:`.loss_w`), the loss landscape
(:mod:`.landscape`), the learning-rate sweep (:mod:`.sweep`), the replay's moment
(:mod:`.moment`), logistic regression's classes, boundary and ``sigmoid(z)``
(:mod:`.classify`); :mod:`.base` makes and saves them, :mod:`.marks` keeps them honest.

Importing this package does not import matplotlib; making a figure does. The public face of
these functions is :mod:`tinygrad_lr.plot`.
"""

from ...train.history import register_plot
from .base import CYCLE, LINE_COLOR, SAVE_FORMATS, TEST_COLOR, TRAIN_COLOR, new_figure, save
from .curves import history_figure, loss_curves
from .fit import fit_line
from .landscape import loss_landscape
from .loss_w import loss_vs_w
from .moment import MomentFigure, moment_text
from .sweep import sweep_figure

register_plot(history_figure)  # History.plot(): the training layer never imports the pictures

__all__ = [
    "new_figure",
    "history_figure",
    "fit_line",
    "loss_curves",
    "loss_vs_w",
    "loss_landscape",
    "sweep_figure",
    "MomentFigure",
    "moment_text",
    "save",
    "SAVE_FORMATS",
    "CYCLE",
    "TRAIN_COLOR",
    "TEST_COLOR",
    "LINE_COLOR",
]
