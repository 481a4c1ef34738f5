"""What an optimizer keeps per parameter (:class:`ParamState`), how its messages name a
parameter (:func:`param_label`), and the form of a rule's stability bound (:class:`LrBound`)."""

from __future__ import annotations

from typing import Any, NamedTuple

__all__ = ["ParamState", "param_label", "LrBound"]


class ParamState:
    """Per-parameter optimizer state, ``opt.state[p]``, as in ``torch.optim``.

    ``opt.state[p]`` is a dict (``{"step": 3, "exp_avg": ..., ...}``) created empty on first use.
    Parameters are told apart by identity, so the state of ``w`` is never confused with the
    state of an equal-valued ``b``.
    """

    def __init__(self) -> None:
        self._by_id: dict[int, tuple[Any, dict[str, Any]]] = {}

    def __getitem__(self, p: Any) -> dict[str, Any]:
        entry = self._by_id.get(id(p))
        if entry is None:
            entry = self._by_id[id(p)] = (p, {})  # p is kept so its id cannot be reused
        return entry[1]

    def __contains__(self, p: object) -> bool:
        return id(p) in self._by_id

    def __len__(self) -> int:
        return len(self._by_id)

    def items(self) -> list[tuple[Any, dict[str, Any]]]:
        return list(self._by_id.values())

    def clear(self) -> None:
        self._by_id.clear()

    def __repr__(self) -> str:
        return "ParamState(" + ", ".join(f"{param_label(p)}: {s}" for p, s in self._by_id.values()) + ")"


def param_label(p: Any) -> str:
    """What a message calls a parameter: its label (Value), its name (Tensor), else its type."""
    return str(getattr(p, "label", None) or getattr(p, "name", None) or type(p).__name__)


class LrBound(NamedTuple):
    """On a quadratic loss whose Hessian's eigenvalues reach ``lambda``, a rule converges exactly
    when ``lr * (lambda + shift) < factor``: gradient descent ``2``; the heavy ball ``2 (1 + mu)``;
    ``shift`` the weight decay added to every eigenvalue. ``text`` writes ``factor`` as a formula."""

    factor: float
    shift: float
    text: str
