"""A lab state as a short text for the page's address (after ``#``), and back, to the last bit.

The text is the state as JSON (floats written as Python's ``repr``, which reads back exactly),
compressed with zlib and written in base64url (the JSON itself, starting with ``{``, is read too:
a replay page writes that for "continue in the lab"): a link holds the data, the parameters, the
settings, the optimizer's memory, the position in the run and the path so far. Reading one back
checks every field as input from the page is checked (:mod:`.state`), refuses a text longer than
:data:`MAX_CODE_CHARS` or unpacking to more than :data:`MAX_JSON_BYTES`, and computes the path's
losses again with the engine rather than trusting the link's.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import zlib
from dataclasses import replace
from typing import Any
from urllib.parse import unquote

from .landscape import losses_at
from .state import (
    MAX_POINTS,
    MAX_UPDATES,
    LabInputError,
    LabState,
    Memory,
    Position,
    Settings,
    Trail,
    check_data,
    number,
    whole,
)

__all__ = ["encode", "decode", "code_of", "MAX_CODE_CHARS", "MAX_JSON_BYTES", "VERSION"]

VERSION = 1
MAX_CODE_CHARS = 4_000_000  # a state of 1000 points and 5000 updates is ~0.4 MB of text
MAX_JSON_BYTES = 16_000_000
_SETTING_NAMES = ("loss", "engine", "optimizer", "lr", "batching", "batch_size", "order", "drop_last", "seed")


def code_of(link: str) -> str:
    """The state's text in a lab link (``...#s=CODE&node=n3``), a fragment (``s=CODE``) or the text itself."""
    text = link.strip().rsplit("#", 1)[-1]
    for part in text.split("&"):
        if part.startswith("s="):
            return unquote(part[2:])
    return unquote(text)


def encode(state: LabState) -> str:
    """The state as the text of a link (see the module docstring)."""
    s = state.settings
    pos = state.position
    doc = {
        "v": VERSION,
        "x": list(state.x),
        "y": list(state.y),
        "names": list(state.names),
        "settings": {**{k: getattr(s, k) for k in _SETTING_NAMES}, "options": _plain(dict(s.options))},
        "memory": {p: dict(entries) for p, entries in state.memory},
        "position": {
            "epoch": pos.epoch,
            "batches": [list(b) for b in pos.batches],
            "index": pos.index,
            "rng": None if pos.rng is None else [str(v) for v in pos.rng],
        },
        "path": [[w, b] for w, b, _ in state.trail.points()],
    }
    raw = json.dumps(doc, separators=(",", ":"), allow_nan=False).encode("utf-8")
    return base64.urlsafe_b64encode(zlib.compress(raw, 6)).decode("ascii").rstrip("=")


def _plain(options: dict[str, Any]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in options.items()}


def _unpack(code: Any) -> dict[str, Any]:
    if not isinstance(code, str) or not code:
        raise LabInputError("a lab state must be the text after '#' in a lab link")
    if len(code) > MAX_CODE_CHARS:
        raise LabInputError(f"the lab state is {len(code)} characters long, more than {MAX_CODE_CHARS}")
    if code.startswith("{"):  # the same JSON, not packed: what a replay page writes ("continue in the lab")
        try:
            doc = json.loads(code, parse_constant=_refuse_constant)
        except ValueError as exc:
            if isinstance(exc, LabInputError):
                raise
            raise LabInputError("the lab state is damaged (not valid JSON): " + str(exc)[:80]) from None
        return _versioned(doc)
    try:
        packed = base64.urlsafe_b64decode(code + "=" * (-len(code) % 4))
        inflate = zlib.decompressobj()
        raw = inflate.decompress(packed, MAX_JSON_BYTES)
        if inflate.unconsumed_tail:
            raise LabInputError(f"the lab state unpacks to more than {MAX_JSON_BYTES} bytes")
        doc = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    except (binascii.Error, zlib.error, UnicodeDecodeError, ValueError) as exc:
        if isinstance(exc, LabInputError):
            raise
        raise LabInputError(
            "the lab state is damaged (not a link made by the lab): " + str(exc)[:80]
        ) from None
    return _versioned(doc)


def _versioned(doc: Any) -> dict[str, Any]:
    if not isinstance(doc, dict) or doc.get("v") != VERSION:
        raise LabInputError(f"the lab state is not one this lab reads (version {VERSION})")
    return doc


def _refuse_constant(name: str) -> None:
    raise LabInputError(f"the lab state holds {name}; every number must be finite")


def _field(doc: dict[str, Any], name: str, kind: type | tuple[type, ...]) -> Any:
    value = doc.get(name)
    if not isinstance(value, kind):
        raise LabInputError(f"the lab state's {name!r} is missing or of the wrong kind")
    return value


def decode(code: Any) -> LabState:
    """The state a link's text holds; :class:`~.state.LabInputError` says what is wrong with it."""
    doc = _unpack(code)
    x, y = check_data(doc.get("x"), doc.get("y"))
    names = _field(doc, "names", list)
    if len(names) != 2 or not all(isinstance(v, str) and len(v) <= 60 for v in names):
        raise LabInputError("the lab state's names must be two short texts")
    raw = _field(doc, "settings", dict)
    unknown = sorted(set(raw) - set(_SETTING_NAMES) - {"options"})
    if unknown:
        raise LabInputError(f"the lab state has unknown settings: {', '.join(unknown)}")
    options = raw.get("options", {})
    if not isinstance(options, dict):
        raise LabInputError("the lab state's options must be an object")
    settings = Settings(**{k: raw[k] for k in _SETTING_NAMES if k in raw}, options=tuple(options.items()))
    settings = settings.checked(len(x))
    path = _path(_field(doc, "path", list))
    position = _position(_field(doc, "position", dict), len(x), len(path) - 1)
    memory = _memory(_field(doc, "memory", dict))
    w, b = path[-1]
    state = LabState(x, y, w, b, settings, position, Trail((w, b, 0.0)), memory, (names[0], names[1]))
    losses = losses_at(state, path)
    return replace(state, trail=Trail.of([(pw, pb, loss) for (pw, pb), loss in zip(path, losses)]))


def _path(raw: list[Any]) -> list[tuple[float, float]]:
    if not 1 <= len(raw) <= MAX_UPDATES + 1:
        raise LabInputError(f"the lab state's path must have 1 to {MAX_UPDATES + 1} points, got {len(raw)}")
    out = []
    for i, p in enumerate(raw):
        if not isinstance(p, list) or len(p) != 2:
            raise LabInputError(f"point {i + 1} of the lab state's path must be [w, b]")
        out.append((_finite(p[0], f"w of path point {i + 1}"), _finite(p[1], f"b of path point {i + 1}")))
    return out


def _finite(value: Any, what: str) -> float:
    """A number the engine made (a path point, the optimizer's memory): finite, of any size."""
    return number(value, what, low=-math.inf, high=math.inf)


def _position(raw: dict[str, Any], n: int, update: int) -> Position:
    epoch = whole(raw.get("epoch"), "the lab state's epoch", 1, MAX_UPDATES + 1)
    batches = raw.get("batches")
    if not isinstance(batches, list) or not 1 <= len(batches) <= MAX_POINTS:
        raise LabInputError("the lab state's batches must be a list of 1 or more batches")
    checked = []
    for batch in batches:
        if not isinstance(batch, list) or not 1 <= len(batch) <= n:
            raise LabInputError(f"every batch of the lab state must hold 1 to {n} sample numbers")
        checked.append(tuple(whole(i, "a sample number of a batch", 0, n - 1) for i in batch))
    index = whole(raw.get("index"), "the lab state's batch index", 0, len(checked) - 1)
    rng = raw.get("rng")
    state = None
    if rng is not None:
        if (
            not isinstance(rng, list)
            or len(rng) != 4
            or not all(isinstance(v, str) and v.isdigit() for v in rng)
        ):
            raise LabInputError("the lab state's random generator must be four whole numbers")
        if not all(len(v) <= 40 and int(v) < 2**128 for v in rng) or int(rng[2]) > 1 or int(rng[3]) >= 2**32:
            raise LabInputError("the lab state's random generator numbers are out of range")
        state = (int(rng[0]), int(rng[1]), int(rng[2]), int(rng[3]))
    return Position(update, epoch, tuple(checked), index, state)


def _memory(raw: dict[str, Any]) -> Memory:
    out = []
    for name, entries in raw.items():
        if name not in ("w", "b") or not isinstance(entries, dict) or len(entries) > 8:
            raise LabInputError("the lab state's optimizer memory must be a few numbers for w and b")
        kept: list[tuple[str, float | int]] = []
        for key, value in entries.items():
            if not (isinstance(key, str) and key.isidentifier() and len(key) <= 32):
                raise LabInputError(f"the lab state's optimizer memory has a bad name {key!r:.40}")
            if isinstance(value, int) and not isinstance(value, bool):
                kept.append((key, whole(value, f"the optimizer's {key}", 0, 10**9)))
            else:
                kept.append((key, _finite(value, f"the optimizer's {key} of {name}")))
        out.append((name, tuple(kept)))
    return tuple(out)
