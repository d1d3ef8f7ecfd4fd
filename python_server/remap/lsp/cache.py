"""Answers of the read-only requests (``remap/listModels``, ``remap/getMap``,
``remap/dataset``), cached in their wire form until the store's change feed shows a change
they depend on. Service thread only.

Before each answer the cache reads the events that arrived since it last looked (one small
query), so a change made a moment ago by this server, the CLI or a worker is never hidden;
per-epoch events do not invalidate anything (the rows and maps only change when a run ends).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from remap.service.records import Store

TOPICS = {
    "model_added": "models",
    "model_changed": "models",
    "job_changed": "jobs",
    "queue_paused": "jobs",
    "queue_reordered": "jobs",
    "run_finished": "runs",
    "setting_changed": "settings",
    "layout_changed": "layout",
    "matrix_changed": "layout",
}
OWN_WRITES = frozenset({"layout"})  # written by the computation itself (maps)


class ResultCache:
    def __init__(self) -> None:
        self._seq: int | None = None
        self._generation: Counter[str] = Counter()
        self._entries: dict[Hashable, tuple[tuple[int, ...], Any]] = {}

    def sync(self, store: Store) -> None:
        """Catch up with the change feed."""
        if self._seq is None:
            self._seq = store.last_event_seq()
            return
        events = store.events_since(self._seq)
        if events:
            self._seq = events[-1].seq
        for event in events:
            topic = TOPICS.get(event.kind)
            if topic is not None:
                self._generation[topic] += 1

    def _stamp(self, topics: Sequence[str]) -> tuple[int, ...]:
        return tuple(self._generation[t] for t in topics)

    def get_or_compute(
        self, store: Store, key: Hashable, topics: Sequence[str], compute: Callable[[], Any]
    ) -> Any:
        """The cached answer for ``key`` if none of ``topics`` changed since it was computed,
        else ``compute()`` (cached)."""
        self.sync(store)
        stamp = self._stamp(topics)
        cached = self._entries.get(key)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        value = compute()
        self.sync(store)
        after = self._stamp(topics)
        changed = {t for t, a, b in zip(topics, stamp, after, strict=True) if a != b}
        if changed <= OWN_WRITES:  # only the layouts this computation stored
            stamp = after
        self._entries[key] = (stamp, value)
        return value

    def clear(self) -> None:
        self._entries.clear()
