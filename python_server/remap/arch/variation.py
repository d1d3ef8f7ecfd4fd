"""Variation: N children of a parent, each with 1..K changes drawn from the user-enabled
(layer, change type) pairs — insert before, remove, replace, reparameterise. A layer is
changed at most once per child; the change list reads in parent order and each entry's index
names the model after the entries before it (see :mod:`remap.arch.changes`). Invalid or
duplicate children are re-drawn; a child that cannot be drawn is reported, not dropped.
:func:`applicable` is the one rule for which pairs can apply: the model details offer only
those, and :func:`split_enabled` sets aside (and names) any other pair a request sends."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from functools import partial

from remap.arch import changes
from remap.arch.errors import ArchError
from remap.arch.layers import Dense, Layer
from remap.arch.sampling import TransitionModel
from remap.arch.shapes import DEFAULT_MAX_PARAMS, validate
from remap.arch.spec import ArchSpec

CHANGE_TYPES = ("insert", "remove", "replace", "reparameterise")
MAX_CHILDREN = 20
MAX_CHANGES = 5


@dataclass(frozen=True)
class VariationChild:
    spec: ArchSpec | None
    changes: tuple[str, ...]
    error: str | None = None


def applicable(parent: ArchSpec, index: int, kind: str, model: TransitionModel) -> bool:
    """Whether change ``kind`` can apply to layer ``index`` (insert = the gap before it)."""
    if not 0 <= index < len(parent.layers):
        return False
    is_output = index == parent.output_index
    if kind == "insert":
        return True
    if kind in ("remove", "replace"):
        return not is_output
    if kind == "reparameterise":
        return not is_output and bool(model.options.tunable(parent.layers[index].type))
    return False


def all_pairs(parent: ArchSpec, model: TransitionModel) -> list[tuple[int, str]]:
    return [
        (i, kind)
        for i in range(len(parent.layers))
        for kind in CHANGE_TYPES
        if applicable(parent, i, kind, model)
    ]


def applicable_changes(
    parent: ArchSpec, index: int, model: TransitionModel | None = None
) -> list[str]:
    """The change types a variation can make at layer ``index`` (what the editor offers)."""
    model = model or TransitionModel()
    return [kind for kind in CHANGE_TYPES if applicable(parent, index, kind, model)]


def split_enabled(
    parent: ArchSpec,
    enabled: Collection[tuple[int, str]],
    model: TransitionModel | None = None,
) -> tuple[list[tuple[int, str]], list[str]]:
    """The pairs of ``enabled`` that can apply, and a note for each one that cannot (set
    aside, never a reason to refuse the others). An unknown change type is malformed input
    and raises :class:`ArchError`."""
    model = model or TransitionModel()
    usable: list[tuple[int, str]] = []
    notes: list[str] = []
    for index, kind in enabled:
        if kind not in CHANGE_TYPES:
            raise ArchError(index, "variation", f"unknown change type {kind!r}")
        if applicable(parent, index, kind, model):
            if (index, kind) not in usable:
                usable.append((index, kind))
            continue
        if 0 <= index < len(parent.layers):
            where = f"layer {index} ({parent.layers[index].describe()})"
            notes.append(f"{where}: change {kind!r} cannot apply to this layer")
        else:
            notes.append(f"layer {index}: no such layer (the model has {len(parent.layers)})")
    return usable, notes


def _context(layers: Sequence[Layer], index: int) -> tuple[str, bool]:
    """State before position ``index`` and whether a Dense came earlier."""
    prev = layers[index - 1].type if index > 0 else "start"
    return prev, any(isinstance(layer, Dense) for layer in layers[:index])


def _new_layer(
    rng: random.Random,
    model: TransitionModel,
    layers: Sequence[Layer],
    index: int,
    avoid: Layer | None,
) -> Layer | None:
    prev, after_dense = _context(layers, index)
    for _ in range(20):
        state = model.next_state(rng, prev, after_dense, 0)
        if state == "end":
            continue
        layer = model.random_layer(rng, state)
        if layer != avoid:
            return layer
    return None


def _reparameterise(
    rng: random.Random, model: TransitionModel, layer: Layer
) -> tuple[Layer, str] | None:
    """A copy of ``layer`` with one tunable hyper-parameter changed, and that parameter."""
    names = model.options.tunable(layer.type)
    if not names:
        return None
    name = rng.choice(names)
    old = getattr(layer, name)
    choices = [v for v in model.options.values_for(layer.type, name) if v != old]
    if not choices:
        return None
    new = rng.choice(choices)
    return dataclasses.replace(layer, **{name: new}), name


def _draw_child(
    rng: random.Random,
    parent: ArchSpec,
    pairs: Sequence[tuple[int, str]],
    k: int,
    model: TransitionModel,
) -> tuple[ArchSpec, list[str]] | None:
    by_layer: dict[int, list[str]] = {}
    for index, kind in pairs:
        by_layer.setdefault(index, []).append(kind)
    targets = rng.sample(sorted(by_layer), min(k, len(by_layer)))
    # Apply from the highest index down so the parent's indices stay valid while drawing.
    slots: list[tuple[int | None, Layer]] = list(enumerate(parent.layers))
    # (parent index, layers added before later entries, wording for a given index)
    log: list[tuple[int, int, Callable[[int], str]]] = []
    for index in sorted(targets, reverse=True):
        kind = rng.choice(by_layer[index])
        layers = [layer for _, layer in slots]
        old = parent.layers[index]
        if kind == "remove":
            del slots[index]
            log.append((index, -1, partial(changes.removed, old)))
        elif kind == "insert":
            new = _new_layer(rng, model, layers, index, None)
            if new is None:
                return None
            slots.insert(index, (None, new))
            log.append((index, 1, partial(changes.inserted, new)))
        elif kind == "replace":
            new = _new_layer(rng, model, layers, index, old)
            if new is None:
                return None
            slots[index] = (None, new)
            log.append((index, 0, partial(changes.replaced, old, new)))
        else:
            result = _reparameterise(rng, model, old)
            if result is None:
                return None
            layer, name = result
            slots[index] = (index, layer)
            before, after = getattr(old, name), getattr(layer, name)
            log.append((index, 0, partial(changes.reparameterised, name, old=before, new=after)))
    child = parent.with_layers([layer for _, layer in slots])
    index_map = {ci: pi for ci, (pi, _) in enumerate(slots) if pi is not None}
    return child, _in_reading_order(log) + changes.repair_notes(parent, child, index_map)


def _in_reading_order(log: Sequence[tuple[int, int, Callable[[int], str]]]) -> list[str]:
    """The entries in parent order, each index shifted by the insertions and removals
    listed before it, so the list replays on the parent from top to bottom."""
    words, shift = [], 0
    for index, delta, word in sorted(log, key=lambda entry: entry[0]):
        words.append(word(index + shift))
        shift += delta
    return words


def vary(
    parent: ArchSpec,
    n: int = 5,
    max_changes: int = 3,
    *,
    enabled: Collection[tuple[int, str]] | None = None,
    seed: int = 0,
    model: TransitionModel | None = None,
    existing: Collection[str] = (),
    max_params: int | None = DEFAULT_MAX_PARAMS,
    attempts_per_child: int = 200,
) -> list[VariationChild]:
    """``n`` distinct children (1–20), each with 1..``max_changes`` (1–5) changes.
    ``enabled`` lists (parent layer index, change type) pairs; None enables every
    applicable pair. ``existing`` holds content hashes children must not duplicate."""
    model = model or TransitionModel()
    if not 1 <= n <= MAX_CHILDREN:
        raise ArchError(None, "variation", f"number of models must be 1–{MAX_CHILDREN}, got {n}")
    if not 1 <= max_changes <= MAX_CHANGES:
        raise ArchError(
            None, "variation", f"changes per model must be 1–{MAX_CHANGES}, got {max_changes}"
        )
    if enabled is None:
        pairs = all_pairs(parent, model)
    else:
        pairs, left_out = split_enabled(parent, enabled, model)
        if left_out:  # callers set these aside first (split_enabled) and report them
            raise ArchError(None, "variation", "; ".join(left_out))
    if not pairs:
        raise ArchError(None, "variation", "no (layer, change type) pair is enabled")
    rng = random.Random(seed)
    seen = set(existing) | {parent.content_hash}
    children: list[VariationChild] = []
    for number in range(n):
        last_problem = "every draw duplicated an existing model"
        for _ in range(attempts_per_child):
            drawn = _draw_child(rng, parent, pairs, rng.randint(1, max_changes), model)
            if drawn is None:
                continue
            spec, log = drawn
            try:
                validate(spec, max_params)
            except ArchError as exc:
                last_problem = f"last draw was impossible: {exc}"
                continue
            if spec.content_hash in seen:
                continue
            seen.add(spec.content_hash)
            children.append(VariationChild(spec, tuple(log)))
            break
        else:
            children.append(
                VariationChild(
                    None,
                    (),
                    f"child {number + 1}: no new valid model in {attempts_per_child} draws "
                    f"({last_problem}); enable more layers or change types",
                )
            )
    return children
