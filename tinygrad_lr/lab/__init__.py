"""The live lab: change w, b, the data or the learning rate and watch backpropagation answer.

``tinygrad-lr lab [data.csv]`` (or :func:`lab` in Jupyter) opens a page whose every number is
computed by this project's own engine, in Python: the computation graph of the next update's
loss with every node's value and gradient, the chain rule of a node, the data and the line,
the loss landscape and the path, the loss curve. Drag, type, step, run, undo; the page's address
holds the whole situation, so it can be shared.

One file per idea: :mod:`.state` (the situation, as numbers, and its checks), :mod:`.menu` (the
optimizers, read from :mod:`tinygrad_lr.optim`), :mod:`.engine` (an update, by the engine),
:mod:`.graph` and :mod:`.landscape` (what two panels need), :mod:`.view` (everything a page
shows), :mod:`.code` (a state in a link), :mod:`.session` (one tab's state, undo, the actions),
:mod:`.csv_upload`, :mod:`.guard` (who may talk to the lab), :mod:`.server` (the routes),
:mod:`.serve` (the port, the token, Ctrl-C), :mod:`.widget` (Jupyter). The page is
``page.html``, ``page.css``, ``plots.js``, ``graph.js`` and ``page.js``, shipped here.
"""

from typing import Any

from .state import MAX_POINTS, MAX_UPDATES, LabInputError

__all__ = ["MAX_POINTS", "MAX_UPDATES", "LabInputError", "lab"]

INSTALL_HINT = "the lab needs its web server: pip install 'tinygrad-lr[lab]' (Starlette, uvicorn, websockets)"


def lab(csv: str | None = None, **options: Any) -> Any:
    """The live lab in a Jupyter notebook (see :func:`.widget.lab`): ``lab()`` as a cell's last
    line shows the worked example's lab; ``lab("data.csv")``, ``lab(x=..., y=...)`` or
    ``lab(state=LINK)`` open other points or a shared situation."""
    try:
        from .widget import lab as open_lab
    except ImportError as exc:
        raise ImportError(f"{INSTALL_HINT} ({exc})") from None
    return open_lab(csv, **options)
