"""The lab in Jupyter: :func:`lab` shows the same page as ``tinygrad-lr lab``, inside the notebook.

The first call starts one lab server for the kernel, in a background thread, on 127.0.0.1 with
its own token (:class:`~.serve.LabServer`); each call makes a new lab session and returns a
:class:`LabWidget`, which a notebook displays as the lab's page in a frame. The numbers are the
same because it *is* the same page and the same engine; :meth:`LabWidget.view` reads the state the
learner has reached back into Python (``lab.view()["params"]``).

The frame is served by this machine's lab server, so it shows where the notebook's browser runs
on the kernel's machine (a local Jupyter); a notebook on a remote server shows a note instead of
a page that cannot load.
"""

from __future__ import annotations

import html
import threading
from typing import Any

from ..data import load_csv
from .code import code_of, decode
from .csv_upload import one_feature
from .serve import LabServer
from .session import Session, first_state
from .view import Screen, view

__all__ = ["LabWidget", "lab"]

_lock = threading.Lock()
_server: LabServer | None = None


def _shared_server() -> LabServer:
    global _server
    with _lock:
        if _server is None:
            server = LabServer(first_state, port=0)
            server.start()
            _server = server
        return _server


class LabWidget:
    """One lab in a notebook: its page in a frame, and its state readable from Python."""

    def __init__(self, server: LabServer, session: Session, sid: str, height: int = 900) -> None:
        self.server, self.session, self.sid, self.height = server, session, sid, int(height)

    @property
    def url(self) -> str:
        """The page's address (with the lab's token; this session's)."""
        return self.server.url(session=self.sid)

    def view(self) -> dict[str, Any]:
        """Every number the page shows for the lab's current state (see :mod:`.view`)."""
        with self.session.lock:  # the lab's one lock: the engine computes one thing at a time
            shown, _ = view(self.session.state, Screen())
        return shown

    def _repr_html_(self) -> str:
        url = html.escape(self.url, quote=True)
        return (
            f'<iframe src="{url}" width="100%" height="{self.height}" style="border:1px solid #ddd" '
            'title="tinygrad_lr live lab"></iframe>'
            f'<p style="font-size:0.85em;color:#555">The live lab, served on this machine: '
            f'<a href="{url}" target="_blank" rel="noopener">open it in its own tab</a>. '
            "(A notebook on a remote server cannot show it here: run <code>tinygrad-lr lab</code> "
            "on your own machine.)</p>"
        )

    def __repr__(self) -> str:
        v = self.view()
        p = v["params"]
        where = f"w={p['w']!r}, b={p['b']!r}, loss={v['loss']!r}, update={v['update']}"
        return f"LabWidget({where}, url={self.url!r})"


def lab(
    csv: str | None = None,
    *,
    x: Any = None,
    y: Any = None,
    state: str | None = None,
    height: int = 900,
) -> LabWidget:
    """The live lab in a notebook: the worked example, a CSV file, points ``x, y`` or a shared link.

    Example (in a notebook cell; the last line displays the lab)::

        from tinygrad_lr.lab import lab
        w = lab()          # the worked example: loss 29, dL/dw = -40, dL/db = -18
        w
    """
    if state is not None:
        start = decode(code_of(state))
    elif csv is not None:
        start = first_state(*one_feature(load_csv(csv), str(csv), "choose one with lab(x=..., y=...)"))
    elif x is not None or y is not None:
        start = first_state(list(x), list(y))
    else:
        start = first_state()
    server = _shared_server()
    session = Session(start)
    return LabWidget(server, session, server.lab.add(session), height)
