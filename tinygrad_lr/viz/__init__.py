"""Every picture the project draws: one package, one file per idea.

* the graph pictures (this package's own names, below): :mod:`.draw`, :mod:`.fold`,
  :mod:`.names`, :mod:`.style`, :mod:`.render`, :mod:`.limits`, and the walkthrough
  (:mod:`.steps`, :mod:`.layout`, :mod:`.walkthrough`, :mod:`.page`);
* the matplotlib figures, one file per figure family: :mod:`.figures` (public face:
  :mod:`tinygrad_lr.plot`), drawn on :class:`~.notebook.NotebookFigure`, which Jupyter shows once;
* the replay's pictures: the graph of a recorded update in three phases (:mod:`.update_graphs`,
  filled in by :mod:`.svg_fill`) and the data, landscape and loss panels
  (:mod:`.figures.moment`), reading a recording through :mod:`.recording`'s ``Protocol``;
* :class:`~.pictures.Pictures`: draw what can be drawn and report what was skipped.

A picture is a lens: nothing here imports the replay, the training loop, the compiler or the
command line; they import it.

Pictures of a computation graph, and the backward pass one chain-rule step at a time:

* :func:`draw_graph` turns the graph behind a ``Value`` or a ``Tensor`` into a
  ``graphviz.Digraph`` (it displays inline in Jupyter as it is); :func:`save_graph` writes it
  as ``.svg``, ``.png``, ``.pdf`` or ``.dot``, chosen by the file name's extension.
* :func:`backward_steps` replays the backward pass node by node, in the order the chain rule
  visits the nodes (the reverse of :func:`~tinygrad_lr.graph.topological_order`), with a
  caption per step such as ``dL/dw = dL/d(w*x) * d(w*x)/dw = -4 * 1 = -4``;
  :func:`walkthrough_text` prints it one line per step, :func:`walkthrough_frames` draws it one
  picture per step and :func:`write_walkthrough` writes the pictures plus one self-contained
  HTML page that steps through them.

What a picture shows:

* a box per value: its name, ``data`` and ``grad``; parameters (orange, double border), data
  (blue) and constants (grey, dashed) are told apart; the loss has a bold border;
* an ellipse per operation, between its inputs and its output;
* an honest gradient: before ``backward()`` it reads ``grad ? (not computed yet)``, never 0.

When is a gradient "computed"?  A ``Tensor``'s ``grad`` is ``None`` until backward reaches it,
so each node says so itself.  A ``Value``'s ``grad`` is ``0.0`` both before backward and when
the gradient really is 0, so the picture asks the *root* instead: ``backward()`` always seeds
``dL/dL = 1`` into the node it is called on (``graph.run_backward``), and nothing else ever
writes into the gradient of a node that no other node was computed from.  So a ``Value``
graph counts as backpropagated exactly when its root's ``grad`` is not 0; pass
``grads=True`` or ``grads=False`` to override the rule (for instance for a root that is itself
part of a larger graph which was backpropagated).

Which leaves are parameters?  ``Tensor`` leaves with ``requires_grad``.  ``Value`` has no such
flag, so by default a ``Value`` leaf is a parameter when its label is one of the model's names
``w``, ``b``, ``theta`` (also indexed: ``w1``, ``w_2``, ``b[0]``); other labelled leaves are
data, unlabelled leaves are constants.  Pass ``params=[...]`` to say exactly which nodes are
parameters.

Every file is written whole or not at all: to a temporary file in the same folder, then moved
into place with :func:`os.replace`.
"""

from __future__ import annotations

from ..graph import register_display
from .draw import draw_graph
from .limits import DEFAULT_MAX_NODES, WALKTHROUGH_MAX_NODES, GraphTooLargeError
from .render import (
    SAVE_FORMATS,
    GraphvizError,
    GraphvizNotFoundError,
    Picture,
    graphviz_install_hint,
    save_graph,
)
from .steps import BackwardStep, Contribution, backward_steps, walkthrough_text
from .walkthrough import walkthrough_frames, write_walkthrough

register_display(draw_graph)  # Value.draw() and Tensor.draw(): the engines never import viz

__all__ = [
    "DEFAULT_MAX_NODES",
    "WALKTHROUGH_MAX_NODES",
    "BackwardStep",
    "Contribution",
    "GraphTooLargeError",
    "GraphvizNotFoundError",
    "GraphvizError",
    "Picture",
    "draw_graph",
    "save_graph",
    "backward_steps",
    "walkthrough_text",
    "walkthrough_frames",
    "write_walkthrough",
    "graphviz_install_hint",
    "SAVE_FORMATS",
]
