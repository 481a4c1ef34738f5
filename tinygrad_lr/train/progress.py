"""The progress bar of a long run: tqdm on stderr, only when it helps (a long run, a terminal)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

__all__ = ["PROGRESS_MIN_WORK", "Progress", "want_progress"]

PROGRESS_MIN_WORK = 200_000  # sample-updates (Value engine) above which a run is "long" (~seconds)


def want_progress(progress: bool | None, work: int) -> bool:
    """Whether to show a bar: ``progress=None`` for ``work`` (epochs x samples) of at least
    :data:`PROGRESS_MIN_WORK` on a terminal, with tqdm installed; ``True`` always (tqdm needed)."""
    if progress is False:
        return False
    if progress is None:
        isatty = getattr(sys.stderr, "isatty", None)
        if work < PROGRESS_MIN_WORK or not (isatty and isatty()):
            return False
        try:
            import tqdm  # noqa: F401
        except ImportError:
            return False
        return True
    try:
        import tqdm  # noqa: F401
    except ImportError:
        # a ValueError, so the command line reports it as one line
        raise ValueError("a progress bar needs tqdm: pip install 'tinygrad-lr[progress]'") from None
    return True


class Progress:
    """The epochs ``1..epochs`` to loop over, with a bar showing the loss when it is wanted."""

    def __init__(self, epochs: int, show: bool) -> None:
        self.epochs = epochs
        self.bar: Any = None
        if show:
            from tqdm import tqdm

            self.bar = tqdm(range(1, epochs + 1), desc="fit", unit="epoch", total=epochs, file=sys.stderr)

    def __iter__(self) -> Iterator[int]:
        return iter(self.bar if self.bar is not None else range(1, self.epochs + 1))

    def show(self, loss: float) -> None:
        if self.bar is not None:
            self.bar.set_postfix(loss=f"{loss:.6g}", refresh=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
