"""How REMAP names a model to its user, the same rule as the editor's (protocol/models.ts):
``#10`` for a model without a user-given name, ``#12 best_model`` for a named one. The wire's
``name`` is the user-given name or "" (stores written when the server synthesized "m<id>"
for unnamed models may hold that literally; it counts as no name)."""

from __future__ import annotations


def given_name(model_id: int, name: str | None) -> str:
    """The name the user gave model ``model_id``, or "" when it has none."""
    text = (name or "").strip()
    return "" if text == f"m{model_id}" else text


def model_label(model_id: int, name: str | None = None) -> str:
    """``#10`` or ``#12 best_model``: how the CLI, exported files and messages name a model."""
    text = given_name(model_id, name)
    return f"#{model_id} {text}" if text else f"#{model_id}"
