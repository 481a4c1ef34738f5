"""tinygrad_lr: a from-scratch autodiff micro-framework for studying backpropagation."""

from .graph import no_grad
from .tensor import Tensor
from .value import Value

__version__ = "0.1.0"

__all__ = ["Tensor", "Value", "no_grad", "__version__"]
