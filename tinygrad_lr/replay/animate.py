"""The replay as an animated GIF (Pillow) or MP4 (ffmpeg), for slides and READMEs.

The frames are :class:`~tinygrad_lr.viz.figures.MomentFigure` moments, written by matplotlib's
own animation writers (``PillowWriter`` for ``.gif``, ``FFMpegWriter`` for ``.mp4``): no
hand-rolled encoder. The file is written to a temporary sibling and renamed, so it appears
whole or not at all.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .._files import atomic_path, output_path
from ..viz.update_graphs import frame_updates
from .record import Recording

__all__ = ["save_animation", "animation_updates", "write_animation", "check_animation_path"]


def animation_updates(rec: Recording, frames: int = 40) -> list[int]:
    """The updates (0-based) an animation shows by default: the first ones one by one, then
    log-spaced ones to the last, ``frames`` at most (see :func:`~tinygrad_lr.replay.frame_updates`)."""
    return frame_updates(rec.updates, first=max(1, frames // 3), total=frames)


def save_animation(
    rec: Recording,
    path: str | os.PathLike[str],
    *,
    updates: Sequence[int] | None = None,
    fps: int = 4,
    dpi: int = 80,
    axes: tuple[int, int] | None = None,
) -> Path:
    """Write the replay of ``rec`` as an animation: ``.gif`` (Pillow) or ``.mp4`` (needs ffmpeg).

    One frame per update in ``updates`` (0-based; default :func:`animation_updates`), each
    showing the update done: the new line, the path so far with the step just taken, the loss
    curve's cursor and the update written out. Returns the path.

    Example:
        >>> from tinygrad_lr import LinearRegression
        >>> from tinygrad_lr.replay import record
        >>> rec = record(LinearRegression(w=1.0, b=0.0), ([1, 2, 3], [3, 5, 7]), "gd",
        ...              lr=0.01, loss="sse", epochs=200)
        >>> save_animation(rec, "learning.gif")  # doctest: +SKIP
    """
    from ..viz.figures.moment import MomentFigure

    check_animation_path(path)
    picks = list(animation_updates(rec) if updates is None else updates)
    if not picks:
        raise ValueError("no updates to animate")
    for k in picks:
        if not 0 <= k < rec.updates:
            raise ValueError(f"update {k} is not in the recording (0 to {rec.updates - 1})")
    view = MomentFigure(rec, axes=axes)
    return write_animation(view.fig, lambda i: view.show(picks[i], 2), len(picks), path, fps=fps, dpi=dpi)


def check_animation_path(path: str | os.PathLike[str]) -> str:
    """The animation format of ``path`` (``"gif"`` or ``"mp4"``), checked before any drawing: a known
    suffix, ffmpeg for an MP4, an existing folder to write into. Returns the format."""
    from matplotlib import animation

    fmt = Path(path).suffix.lower().lstrip(".")
    if fmt not in ("gif", "mp4"):
        raise ValueError(f"cannot tell the animation format of {str(path)!r}: use .gif or .mp4")
    if fmt == "mp4" and not animation.writers.is_available("ffmpeg"):
        raise OSError("an MP4 needs the ffmpeg program (sudo apt-get install ffmpeg); or write a .gif")
    output_path(path, "the animation")  # its folder must exist, as for every output
    return fmt


def write_animation(
    fig: Any, draw: Callable[[int], object], frames: int, path: str | os.PathLike[str], *, fps: int, dpi: int
) -> Path:
    """Write ``frames`` frames of ``fig`` as a GIF or MP4 (by ``path``'s suffix), whole or not at all.

    ``draw(i)`` moves the figure to frame ``i``. Any figure with such a method animates this way:
    the replay's moments, the theory's optimizer race.
    """
    from matplotlib import animation

    fmt = check_animation_path(path)
    def frame(i: int) -> None:
        draw(i)

    anim = animation.FuncAnimation(fig, frame, frames=frames, blit=False)
    writer = animation.PillowWriter(fps=fps) if fmt == "gif" else animation.FFMpegWriter(fps=fps)
    with atomic_path(path) as tmp:  # whole or not at all
        anim.save(str(tmp), writer=writer, dpi=dpi)
    return Path(path)
