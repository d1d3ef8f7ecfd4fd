"""The suggestion engine: the next experiments worth running, from what the workspace
already knows, in REMAP's own operations.

* **ablate / vary** models on the accuracy–size Pareto front (the models worth refining),
  the more accurate first: a front member's score is its accuracy relative to the best, less
  ``FATIGUE`` for each of its latest children in a row that lost to it (the front's
  near-chance tail — a lone Dense layer is "on the front" by being smallest — used to get as
  much attention as the best model);
* **craft** a change that helped elsewhere: single-change children are grouped by what the
  change did ("Removed Dropout", "Changed filters of Conv2D up"); a change that raised
  accuracy in most of its children is proposed for similar trained models (layer-type
  sequences, by edit distance) that have not tried it;
* **sample** when the workspace knows too little (few trained models), its front is flat,
  or the best accuracy has not improved in the last ``STALE_AFTER`` trainings;
* parents whose last ``LOSING_STREAK`` children all lost to them get no more children —
  except the most accurate model, which gets ``BEST_PATIENCE`` (most children of the best
  model lose to it; cutting it off after three sent the search to the weakest models).

Everything is deterministic for a seed. Each suggestion carries a stable ``key`` so a
person can dismiss it (the service remembers dismissed keys)."""

from __future__ import annotations

import random
import re
import statistics
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from remap.arch.ablation import ablate
from remap.arch.errors import ArchError, SpecFormatError
from remap.arch.handcraft import apply_edits
from remap.arch.layers import layer_to_dict
from remap.arch.shapes import param_count
from remap.arch.spec import ArchSpec
from remap.arch.variation import vary

KINDS = ("ablate", "vary", "sample", "craft")
FEW_MODELS = 5  # below this many trained models, sampling is the best advice
FLAT_FRONT = 0.01  # a front whose accuracies span less than this is flat
LOSING_STREAK = 3  # a parent whose last this-many children all lost is skipped
BEST_PATIENCE = 9  # ... the most accurate model only after this many
FATIGUE = 0.1  # score lost per latest child in a row that lost to its parent
STALE_AFTER = 8  # trainings without a new best accuracy before samples are preferred
MIN_SUPPORT = 2  # a change must have helped in at least this many children to transfer
MAX_DISTANCE = 0.5  # layer-type sequences farther apart than this are not similar
VARY_CHANGES = 2


@dataclass(frozen=True)
class KnownModel:
    """What the engine needs of one model: its spec and lineage, and its latest finished
    run on the workspace's split (``acc`` None: not trained; ``failed``: its last job
    failed)."""

    id: int
    spec: ArchSpec
    parent_id: int | None
    origin: str
    changes: tuple[str, ...]
    params: int
    content_hash: str
    acc: float | None = None
    seconds: float | None = None
    epochs: int | None = None


@dataclass(frozen=True)
class Cost:
    params: int | None
    epochs: int
    seconds: float | None  # None: no finished run to estimate from yet

    def to_dict(self) -> dict[str, Any]:
        return {"params": self.params, "epochs": self.epochs, "seconds": self.seconds}


@dataclass(frozen=True)
class Suggestion:
    """One experiment. ``changes`` is what to run: ``ablate``: ``[{"op": "remove",
    "index": i}]``; ``vary``: ``[{"op": "vary", "seed": s, "maxChanges": k}]``; ``sample``:
    ``[{"op": "sample", "seed": s}]``; ``craft``: an edit list for
    :func:`remap.arch.handcraft.apply_edits`. ``preview`` is the child's change log when
    it is known in advance."""

    key: str
    kind: str
    parent: int | None
    changes: tuple[dict[str, Any], ...]
    reason: str
    cost: Cost
    score: float
    preview: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": self.kind,
            "parent": self.parent,
            "changes": [dict(c) for c in self.changes],
            "preview": list(self.preview),
            "reason": self.reason,
            "cost": self.cost.to_dict(),
        }


def pareto_front(models: Sequence[KnownModel]) -> list[KnownModel]:
    """Trained models no other trained model beats on both accuracy and size (best first)."""
    trained = sorted(
        (m for m in models if m.acc is not None), key=lambda m: (-(m.acc or 0.0), m.params, m.id)
    )
    front: list[KnownModel] = []
    for m in trained:
        if all(m.params < f.params for f in front):
            front.append(m)
    return front


def seconds_per_param_epoch(models: Sequence[KnownModel]) -> float | None:
    """The median seconds per parameter·epoch of past runs (None when nothing ran)."""
    rates = [
        m.seconds / (max(m.params, 1) * m.epochs)
        for m in models
        if m.seconds is not None and m.epochs and m.seconds > 0
    ]
    return statistics.median(rates) if rates else None


def losing_runs(models: Sequence[KnownModel]) -> dict[int, int]:
    """Per parent: how many of its latest trained children in a row scored below it."""
    by_id = {m.id: m for m in models}
    runs: dict[int, int] = defaultdict(int)
    for m in sorted(models, key=lambda m: m.id):
        parent = by_id.get(m.parent_id) if m.parent_id is not None else None
        if parent is None or parent.acc is None or m.acc is None:
            continue
        runs[parent.id] = runs[parent.id] + 1 if m.acc < parent.acc else 0
    return dict(runs)


def best_model(models: Sequence[KnownModel]) -> KnownModel | None:
    """The most accurate trained model (the older one on a tie)."""
    trained = [m for m in models if m.acc is not None]
    return min(trained, key=lambda m: (-(m.acc or 0.0), m.id)) if trained else None


def losing_parents(
    models: Sequence[KnownModel], streak: int = LOSING_STREAK, best_patience: int = BEST_PATIENCE
) -> set[int]:
    """Parents whose last ``streak`` trained children all scored below them (the most
    accurate model: ``best_patience``)."""
    return _exhausted(losing_runs(models), best_model(models), streak, best_patience)


def _exhausted(
    runs: dict[int, int], best: KnownModel | None, streak: int, best_patience: int
) -> set[int]:
    """:func:`losing_parents` from :func:`losing_runs` and :func:`best_model`."""
    return {
        parent_id
        for parent_id, run in runs.items()
        if run >= (best_patience if best is not None and parent_id == best.id else streak)
    }


def trainings_since_best(models: Sequence[KnownModel], best: KnownModel | None) -> int:
    """Trained models newer than ``best``, the most accurate one (ids grow with time)."""
    if best is None:
        return 0
    return sum(1 for m in models if m.acc is not None and m.id > best.id)


def layer_types(spec: ArchSpec) -> list[str]:
    return [type(layer).__name__ for layer in spec.layers]


def sequence_distance(a: Sequence[str], b: Sequence[str]) -> float:
    """Levenshtein distance of two layer-type sequences over the longer length (0–1)."""
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i]
        for j, y in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1] / max(len(a), len(b), 1)


_REMOVED = re.compile(r"^Removed (\w+)")
_CHANGED = re.compile(r"^Changed (\w+) at index (\d+) from (\S+) to (\S+)$")


def change_signature(parent: ArchSpec, changes: Sequence[str]) -> tuple[str, ...] | None:
    """What a single-change child did, independent of where: ``("remove", "Dropout")`` or
    ``("set", "Conv2D", "filters", "up")``; None for several changes or other kinds."""
    primary = [c for c in changes if not c.startswith("Repaired ")]
    if len(primary) != 1:
        return None
    if match := _REMOVED.match(primary[0]):
        return ("remove", match.group(1))
    if match := _CHANGED.match(primary[0]):
        name, index, old, new = match.groups()
        if int(index) >= len(parent.layers):
            return None
        try:
            up = float(new) > float(old)
        except ValueError:
            return None
        return ("set", type(parent.layers[int(index)]).__name__, name, "up" if up else "down")
    return None


def _signature_edit(
    target: ArchSpec, signature: tuple[str, ...], rng: random.Random
) -> list[dict[str, Any]] | None:
    """The edit list that does ``signature`` to ``target`` (None when it cannot)."""
    kind, layer_type = signature[0], signature[1]
    indices = [
        i for i, t in enumerate(layer_types(target)[: target.output_index]) if t == layer_type
    ]
    if not indices:
        return None
    index = indices[rng.randrange(len(indices))]
    if kind == "remove":
        return [{"op": "remove", "index": index}]
    name, direction = signature[2], signature[3]
    value = layer_to_dict(target.layers[index]).get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, int):
        new: float = value * 2 if direction == "up" else max(1, value // 2)
    else:
        new = round(min(0.9, value * 1.5 + 0.05) if direction == "up" else value / 2, 3)
    if new == value:
        return None
    return [{"op": "set", "index": index, "field": name, "value": new}]


def _describe(signature: tuple[str, ...]) -> str:
    if signature[0] == "remove":
        return f"removing {signature[1]}"
    return f"{'raising' if signature[3] == 'up' else 'lowering'} {signature[1]} {signature[2]}"


class _Builder:
    """Collects suggestions, skipping children that exist already or were proposed."""

    def __init__(self, models: Sequence[KnownModel], default_epochs: int) -> None:
        self.by_id = {m.id: m for m in models}
        self.hashes = {m.content_hash for m in models}
        self.rate = seconds_per_param_epoch(models)
        self.default_epochs = default_epochs
        self.out: list[Suggestion] = []
        self.keys: set[str] = set()

    def cost(self, params: int | None, parent: KnownModel | None) -> Cost:
        epochs = (parent.epochs if parent and parent.epochs else None) or self.default_epochs
        seconds = None
        if self.rate is not None and params is not None:
            seconds = round(self.rate * params * epochs, 1)
        return Cost(params, epochs, seconds)

    def add(self, suggestion: Suggestion, child: ArchSpec | None = None) -> None:
        if suggestion.key in self.keys:
            return
        if child is not None:
            digest = child.content_hash
            if digest in self.hashes:
                return
            self.hashes.add(digest)
        self.keys.add(suggestion.key)
        self.out.append(suggestion)


def _pct(acc: float | None) -> str:
    return f"{100 * (acc or 0.0):.1f}%"


def _front_suggestions(
    b: _Builder, front: Sequence[KnownModel], losing: dict[int, int], seed: int
) -> None:
    top = max((m.acc or 0.0 for m in front), default=0.0)
    for m in front:
        where = (
            f"model #{m.id} is on the accuracy–size front ({_pct(m.acc)}, {m.params:,} parameters)"
        )
        score = (m.acc or 0.0) / top - FATIGUE * losing.get(m.id, 0) if top > 0 else 0.0
        # Ablate the layer whose removal saves the most parameters: the cheapest model
        # that might keep the accuracy.
        best: tuple[int, int, Any] | None = None
        for child in ablate(m.spec):
            if child.spec is None or child.spec.content_hash in b.hashes:
                continue
            saved = m.params - param_count(child.spec)
            if best is None or saved > best[0]:
                best = (saved, child.removed_index, child)
        if best is not None:
            saved, index, child = best
            # removing a pooling layer can grow the next Dense layer: say "adds" then
            effect = f"saves {saved:,}" if saved >= 0 else f"adds {-saved:,}"
            b.add(
                Suggestion(
                    f"ablate:{m.id}:{index}", "ablate", m.id, ({"op": "remove", "index": index},),
                    f"{where}; removing layer {index} ({m.spec.layers[index].describe()}) "
                    f"{effect} parameters",
                    b.cost(m.params - saved, m), score, child.changes,
                ),
                child.spec,
            )  # fmt: skip
        vary_seed = seed * 1009 + m.id
        try:
            drawn = vary(
                m.spec, 1, VARY_CHANGES, seed=vary_seed, existing=b.hashes, max_params=None
            )
        except ArchError:
            drawn = []
        for varied in drawn:
            if varied.spec is None:
                continue
            b.add(
                Suggestion(
                    f"vary:{m.id}:{vary_seed}", "vary", m.id,
                    ({"op": "vary", "seed": vary_seed, "maxChanges": VARY_CHANGES},),
                    f"{where}; a small variation may beat it",
                    b.cost(param_count(varied.spec), m), score - 0.05, varied.changes,
                ),
                varied.spec,
            )  # fmt: skip


def _transfer_suggestions(
    b: _Builder, models: Sequence[KnownModel], skip: Collection[int], seed: int
) -> None:
    """A change that raised accuracy in most of its children, tried on similar models."""
    outcomes: dict[tuple[str, ...], list[float]] = defaultdict(list)
    tried: dict[int, set[tuple[str, ...]]] = defaultdict(set)
    for m in models:
        parent = b.by_id.get(m.parent_id) if m.parent_id is not None else None
        if parent is None:
            continue
        signature = change_signature(parent.spec, m.changes)
        if signature is None:
            continue
        tried[parent.id].add(signature)
        if m.acc is not None and parent.acc is not None:
            outcomes[signature].append(m.acc - parent.acc)
    rng = random.Random(seed)
    trained = sorted((m for m in models if m.acc is not None), key=lambda m: (-(m.acc or 0), m.id))
    for signature, deltas in sorted(outcomes.items()):
        helped = sum(d > 0 for d in deltas)
        if helped < MIN_SUPPORT or helped * 2 <= len(deltas):
            continue
        sources = [m for m in models if m.parent_id is not None and m.acc is not None]
        source_types = [layer_types(b.by_id[m.parent_id].spec) for m in sources
                        if m.parent_id in b.by_id]  # fmt: skip
        for target in trained:
            if target.id in skip or signature in tried[target.id]:
                continue
            distance = min(sequence_distance(layer_types(target.spec), t) for t in source_types)
            if distance > MAX_DISTANCE:
                continue
            edits = _signature_edit(target.spec, signature, rng)
            if edits is None:
                continue
            try:
                crafted = apply_edits(target.spec, edits)
            except (ArchError, SpecFormatError):
                continue
            mean = 100 * statistics.fmean(deltas)
            b.add(
                Suggestion(
                    f"craft:{target.id}:{':'.join(signature)}", "craft", target.id, tuple(edits),
                    f"{_describe(signature)} raised accuracy in {helped} of {len(deltas)} "
                    f"children (mean {mean:+.1f} points); model #{target.id} has a similar "
                    f"layer sequence and has not tried it",
                    b.cost(param_count(crafted.spec), target),
                    1.0 + helped / len(deltas) + 0.01 * helped, crafted.changes,
                ),
                crafted.spec,
            )  # fmt: skip
            break  # one target per change: the best-scoring similar model


def suggest(
    models: Sequence[KnownModel],
    *,
    n: int = 5,
    seed: int = 0,
    default_epochs: int = 10,
    dismissed: Collection[str] = (),
    sample_params: int | None = None,
) -> list[Suggestion]:
    """Up to ``n`` suggestions, best first, none of them ``dismissed``; the same inputs
    always give the same list. ``sample_params`` estimates a sampled model's size (None:
    the median of the known models)."""
    b = _Builder(models, default_epochs)
    trained = [m for m in models if m.acc is not None]
    runs, best = losing_runs(models), best_model(models)
    skip = _exhausted(runs, best, LOSING_STREAK, BEST_PATIENCE)
    whole_front = pareto_front(models)
    front = [m for m in whole_front if m.id not in skip]
    _transfer_suggestions(b, models, skip, seed)
    _front_suggestions(b, front, runs, seed)
    accs = [m.acc or 0.0 for m in whole_front]
    flat = len(accs) >= 1 and max(accs) - min(accs) < FLAT_FRONT and len(trained) >= FEW_MODELS
    few = len(trained) < FEW_MODELS
    stale = trainings_since_best(models, best)
    size = sample_params or (int(statistics.median(m.params for m in models)) if models else None)
    # Samples fill what the other advice leaves, and at most half the list when there is
    # other advice, so a young workspace still sees its refinements.
    others = sum(1 for x in b.out if x.key not in dismissed)
    for i in range(max((n + 1) // 2, n - others)):
        sample_seed = seed * 1009 + len(models) + i
        why = (
            (
                "no trained model yet: a sample starts the map"
                if not trained
                else f"only {len(trained)} trained model{'s' if len(trained) != 1 else ''}: "
                "a new sample maps more of the space"
            )
            if few
            else "the accuracy–size front is flat: a new sample may find another region"
            if flat
            else f"the best model (#{best.id}, {_pct(best.acc)}) has not been beaten in "
            f"{stale} trainings: a new sample may find another region"
            if best is not None and stale >= STALE_AFTER
            else "a fresh sample keeps the search from narrowing too early"
        )
        weight = 2.5 if few else 0.9 if flat or stale >= STALE_AFTER else 0.2
        b.add(
            Suggestion(
                f"sample:{sample_seed}", "sample", None, ({"op": "sample", "seed": sample_seed},),
                why, b.cost(size, None), weight - 0.01 * i,
            )
        )  # fmt: skip
    ranked = sorted(b.out, key=lambda s: (-s.score, s.key))
    return [s for s in ranked if s.key not in dismissed][:n]
