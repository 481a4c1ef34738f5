"""tinygrad_lr: a from-scratch autodiff micro-framework for studying backpropagation.

The public names of every layer, so that ``from tinygrad_lr import *`` gives a learner what the
docs use: the engines, the models, losses and optimizers, ``fit``, the pictures (``draw_graph``,
the ``plot`` module), the replay (``record``, ``replay_widget``) and the exercises' ``check``.
This file is the top of the layering: it may import anything, and nothing imports it.
"""

from . import plot
from .anomaly import AnomalyError, detect_anomaly
from .checkpoint import load, save
from .compile import CompileWarning, compile_step
from .data import DataError, Dataset, batch_indices, from_arrays, load_csv, make_linear_data
from .exercises import check
from .gradcheck import (
    GradReport,
    analytic_grads,
    check_gradient_fn,
    check_linear_regression,
    gradcheck,
    numerical_grads,
    per_sample_breakdown,
)
from .graph import enable_grad, grad, no_grad
from .hessian import hessian, hvp, largest_eigenvalue
from .logistic import LogisticRegression
from .losses import bce_with_logits, mse, sse
from .models import LinearRegression, max_stable_lr
from .optim import (
    GD,
    SGD,
    Adagrad,
    Adam,
    AdamW,
    ChainedScheduler,
    CosineAnnealingLR,
    ExponentialLR,
    LinearLR,
    LRScheduler,
    MiniBatchSGD,
    Momentum,
    Nesterov,
    Newton,
    Optimizer,
    RMSprop,
    StepLR,
)
from .replay import record, replay_widget
from .tensor import Tensor
from .train import DivergenceError, History, fit
from .value import Value
from .viz import backward_steps, draw_graph, save_graph, walkthrough_text, write_walkthrough

__version__ = "0.1.0"

__all__ = [
    "LinearRegression",
    "LogisticRegression",
    "sse",
    "mse",
    "bce_with_logits",
    "GD",
    "SGD",
    "MiniBatchSGD",
    "Newton",
    "Momentum",
    "Nesterov",
    "Adagrad",
    "RMSprop",
    "Adam",
    "AdamW",
    "Optimizer",
    "LRScheduler",
    "StepLR",
    "ChainedScheduler",
    "ExponentialLR",
    "CosineAnnealingLR",
    "LinearLR",
    "fit",
    "History",
    "DivergenceError",
    "max_stable_lr",
    "Dataset",
    "DataError",
    "load_csv",
    "from_arrays",
    "make_linear_data",
    "batch_indices",
    "gradcheck",
    "check_gradient_fn",
    "check_linear_regression",
    "analytic_grads",
    "numerical_grads",
    "per_sample_breakdown",
    "GradReport",
    "Tensor",
    "Value",
    "draw_graph",
    "save_graph",
    "backward_steps",
    "walkthrough_text",
    "write_walkthrough",
    "no_grad",
    "enable_grad",
    "grad",
    "hessian",
    "hvp",
    "largest_eigenvalue",
    "detect_anomaly",
    "AnomalyError",
    "save",
    "load",
    "compile_step",
    "CompileWarning",
    "plot",
    "record",
    "replay_widget",
    "check",
    "__version__",
]
