"""What every request handler shares: the one place where the service's errors become
:class:`ParamError` (a JSON-RPC -32602 naming the wire field), and the model-id check."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from remap.lsp.params import ParamError
from remap.lsp.protocol import camel_path

if TYPE_CHECKING:
    from remap.service import Workspace


def _without_own_field(exc: Exception) -> str:
    message = str(exc)
    own = getattr(exc, "field", None)
    if own and message.startswith(f"{own}: "):
        return message[len(own) + 2 :]
    return message


def on_field(exc: Exception, field: str, fields: Mapping[str, str] | None = None) -> Exception:
    """A ServiceError as a ParamError on ``field``, or on ``fields[exc.field]`` when the
    service named a field of its own that the request spells differently. A broken data set
    setting (field ``dataset``) is not the request's fault: it stays as it is (-32603)."""
    own = getattr(exc, "field", None)
    if own == "dataset":
        return exc
    wire = (fields or {}).get(own or "", field)
    return ParamError(wire, _without_own_field(exc))


def on_path(exc: Exception, field: str) -> ParamError:
    """A ServiceError as a ParamError on ``field``, or on the path the message starts with
    when it already names one inside ``field`` (``edits[2].index: …``, in wire spelling)."""
    message = _without_own_field(exc)
    head, sep, rest = message.partition(": ")
    if sep and head.startswith(field) and " " not in head:
        return ParamError(camel_path(head), rest)
    return ParamError(field, message)


def after_head(exc: Exception, field: str) -> ParamError:
    """An error as a ParamError on ``field`` with the message's first ``head: `` removed (the
    service's field, or the path of the file it concerns)."""
    return ParamError(field, str(exc).split(": ", 1)[-1])


def require_model(ws: Workspace, model_id: int, field: str = "modelId") -> None:
    from remap.service import ServiceError
    from remap.service.editing import require_model as check

    try:
        check(ws, model_id)
    except ServiceError as exc:
        raise on_field(exc, field) from None
