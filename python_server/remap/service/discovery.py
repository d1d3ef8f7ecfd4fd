"""Discovery as the UI and CLI see it: suggestions from the workspace (with dismissals
remembered in the store), applying one, and the explore autopilot (``guided`` by the
suggestions, ``random`` sampling, regularized ``evolution``), which spends a budget of
trainings through the normal queue and a local executor, stops at any point and resumes
where it stopped (its state lives in a store setting per session)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from remap.discovery.evolution import RegularizedEvolution
from remap.discovery.suggest import KnownModel, Suggestion, suggest
from remap.service import experiments as ex
from remap.service.errors import ServiceError
from remap.service.workspace import Workspace

if TYPE_CHECKING:
    from remap.service.records import Executor

DISMISSED_KEY = "discovery_dismissed"
EXPLORE_PREFIX = "explore:"
STRATEGIES = ("guided", "random", "evolution")
FINISHED_STATES = ("done", "failed", "cancelled")
EVOLUTION_POPULATION = 10
EVOLUTION_SAMPLE = 3


def known_models(ws: Workspace) -> list[KnownModel]:
    """Every model with a spec, with its latest finished run on the workspace's split."""
    summaries = [s for s in ws.store.model_summaries() if s.params is not None]
    specs = ws.store.model_specs([s.id for s in summaries])
    runs = {r.model_id: r for r in ws.store.run_summaries(ws.split().fingerprint)}
    out = []
    for s in summaries:
        run = runs.get(s.id)
        out.append(
            KnownModel(
                s.id, specs[s.id], s.parent_id, s.origin, s.changes, s.params or 0,
                s.content_hash,
                acc=run.val_acc if run else None,
                seconds=run.seconds if run else None,
                epochs=run.epochs if run else None,
            )
        )  # fmt: skip
    return out


def dismissed(ws: Workspace) -> list[str]:
    value = ws.store.get_setting(DISMISSED_KEY, []) or []
    return [str(k) for k in value] if isinstance(value, list) else []


def suggestions(ws: Workspace, n: int = 5, seed: int | None = None) -> list[Suggestion]:
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 100:
        raise ServiceError(f"expected 1–100 suggestions, got {n!r}", "n")
    return suggest(
        known_models(ws),
        n=n,
        seed=ws.settings.seed if seed is None else seed,
        default_epochs=ws.settings.epochs,
        dismissed=dismissed(ws),
    )


def dismiss(ws: Workspace, key: str) -> list[str]:
    """Hide the suggestion ``key`` from now on; returns every dismissed key."""
    if not isinstance(key, str) or not key:
        raise ServiceError("expected the key of a suggestion", "key")
    keys = dismissed(ws)
    if key not in keys:
        keys.append(key)
        ws.store.set_setting(DISMISSED_KEY, keys)
    return keys


def _op(changes: Sequence[Mapping[str, Any]], name: str) -> Mapping[str, Any]:
    if len(changes) != 1 or not isinstance(changes[0], Mapping) or changes[0].get("op") != name:
        raise ServiceError(f'expected one {{"op": "{name}"}} change', "changes")
    return changes[0]


def _int(change: Mapping[str, Any], key: str) -> int:
    value = change.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ServiceError(f"expected an integer {key}, got {value!r}", f"changes[0].{key}")
    return value


def apply_suggestion(
    ws: Workspace,
    kind: str,
    parent: int | None,
    changes: Sequence[Mapping[str, Any]],
    train: bool = True,
) -> ex.GenerateResult:
    """Queue the experiment a suggestion describes (its ``kind``, ``parent``, ``changes``)."""
    if kind == "sample":
        return ex.sample(ws, 1, seed=_int(_op(changes, "sample"), "seed"), train=train)
    if parent is None:
        raise ServiceError(f"a {kind!r} suggestion needs a parent model", "parent")
    if kind == "ablate":
        return ex.run_ablation(ws, parent, [_int(_op(changes, "remove"), "index")], train)
    if kind == "vary":
        change = _op(changes, "vary")
        return ex.run_variation(
            ws, parent, 1, _int(change, "maxChanges"), seed=_int(change, "seed"), train=train
        )
    if kind == "craft":
        return ex.run_handcrafted(ws, parent, list(changes), train)
    raise ServiceError(f"expected kind sample, ablate, vary or craft, got {kind!r}", "kind")


# -- explore ----------------------------------------------------------------------------


@dataclass
class ExploreState:
    """One explore session as stored: budget spent, the job in flight, what each training
    gave (model id, held-out accuracy or None when it failed) and evolution's population."""

    session: str
    strategy: str
    seed: int
    budget: int
    spent: int = 0
    pending_job: int | None = None
    pending_model: int | None = None
    history: list[tuple[int, float | None]] = field(default_factory=list)
    evolution: dict[str, Any] | None = None
    owner: int | None = None  # the pid of the process exploring now

    def to_dict(self) -> dict[str, Any]:
        return {
            "session": self.session,
            "strategy": self.strategy,
            "seed": self.seed,
            "budget": self.budget,
            "spent": self.spent,
            "pendingJob": self.pending_job,
            "pendingModel": self.pending_model,
            "history": [list(h) for h in self.history],
            "evolution": self.evolution,
            "owner": self.owner,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ExploreState:
        return cls(
            session=str(data["session"]),
            strategy=str(data["strategy"]),
            seed=int(data["seed"]),
            budget=int(data["budget"]),
            spent=int(data["spent"]),
            pending_job=data.get("pendingJob"),
            pending_model=data.get("pendingModel"),
            history=[(int(m), None if a is None else float(a)) for m, a in data["history"]],
            evolution=data.get("evolution"),
            owner=data.get("owner"),
        )

    @property
    def best(self) -> tuple[int, float] | None:
        scored = [(m, a) for m, a in self.history if a is not None]
        return max(scored, key=lambda h: (h[1], -h[0])) if scored else None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def load_session(ws: Workspace, session: str) -> ExploreState | None:
    data = ws.store.get_setting(EXPLORE_PREFIX + session)
    return ExploreState.from_dict(data) if isinstance(data, dict) else None


def _save(ws: Workspace, state: ExploreState) -> None:
    ws.store.set_setting(EXPLORE_PREFIX + state.session, state.to_dict())


def _open_session(
    ws: Workspace, session: str, strategy: str, seed: int, budget: int
) -> ExploreState:
    if strategy not in STRATEGIES:
        raise ServiceError(
            f"expected strategy {', '.join(STRATEGIES)}, got {strategy!r}", "strategy"
        )
    if isinstance(budget, bool) or not isinstance(budget, int) or not 1 <= budget <= 100_000:
        raise ServiceError(f"expected a budget of 1–100000 trainings, got {budget!r}", "budget")
    state = load_session(ws, session)
    if state is None:
        state = ExploreState(session, strategy, seed, budget)
    elif state.strategy != strategy or state.seed != seed:
        raise ServiceError(
            f"explore session {session!r} uses strategy {state.strategy} with seed {state.seed}; "
            "resume it with those or name another session",
            "session",
        )
    if state.owner is not None and state.owner != os.getpid() and _pid_alive(state.owner):
        raise ServiceError(
            f"explore session {session!r} is running in process {state.owner}", "session"
        )
    state.budget = budget
    state.owner = os.getpid()
    return state


def _fitness(ws: Workspace, model_id: int) -> float | None:
    run = ws.store.latest_run(model_id, ws.split().fingerprint)
    return run.val_acc if run is not None and run.state == "finished" else None


def _queue_next(
    ws: Workspace, state: ExploreState, evo: RegularizedEvolution | None
) -> tuple[int, int]:
    """Queue the next training of the strategy: (model id, job id). Candidates that only
    name an existing model are passed over (they would cost nothing and teach nothing)."""
    step = state.spent
    for attempt in range(50):
        seed = state.seed * 100_003 + step * 101 + attempt
        result: ex.GenerateResult
        try:
            if state.strategy == "guided":
                options = suggest(
                    known_models(ws), n=attempt + 1, seed=seed,
                    default_epochs=ws.settings.epochs, dismissed=dismissed(ws),
                )  # fmt: skip
                if len(options) <= attempt:
                    result = ex.sample(ws, 1, seed=seed)
                else:
                    option = options[attempt]
                    result = apply_suggestion(ws, option.kind, option.parent, option.changes)
            elif state.strategy == "evolution" and evo is not None and evo.full:
                parent = evo.choose_parent()
                assert parent is not None
                result = ex.run_variation(ws, parent, 1, 1, seed=seed)
            else:
                result = ex.sample(ws, 1, seed=seed)
        except ServiceError:
            continue
        if result.created and result.jobs:
            return result.created[0], result.jobs[0]
    raise ServiceError(
        "no new model could be made in 50 attempts; widen the model space", "strategy"
    )


def _supervise(executor: Executor, state: ExploreState) -> None:
    """Restart dead workers; a :class:`ServiceError` naming why when the executor says the
    queue cannot go on (the job in flight stays queued for a later resume)."""
    failure = executor.supervise()
    if failure is not None:
        raise ServiceError(
            f"explore stopped after {state.spent} of {state.budget} trainings: {failure}",
            "executor",
        )


def _paused_message(state: ExploreState) -> str:
    """Why an explore cannot go on while the queue is paused (no worker claims its job)."""
    return (
        f"the training queue is paused, so explore cannot train: resume it (REMAP: Resume "
        f"Training Queue, or `remap queue --resume`) and explore again to go on; "
        f"{state.spent} of {state.budget} trainings spent, the rest is kept"
    )


def explore(
    ws: Workspace,
    budget: int,
    strategy: str = "guided",
    seed: int = 0,
    session: str | None = None,
    *,
    progress: Callable[[ExploreState], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    workers: int | None = None,
    poll: float = 0.2,
    population: int = EVOLUTION_POPULATION,
    sample_size: int = EVOLUTION_SAMPLE,
    own_workers: bool = True,
    on_paused: Callable[[bool], None] | None = None,
) -> ExploreState:
    """Spend the session's budget (``budget`` trainings in all, counting failed ones); stops
    between polls when ``should_stop()`` says so, leaving the job in flight in the queue to
    be picked up by the next call with the same session. ``own_workers=False``: the queue is
    trained by someone else (the language server's workers); explore only queues and waits.
    While the training queue is paused no worker claims the next training: with
    ``on_paused`` explore waits for the queue to be resumed (told True when it starts
    waiting, False when it goes on), without it stops with a ServiceError that says so."""
    from remap.service.queue import executor_plan, start_executor

    state = _open_session(ws, session or f"{strategy}-{seed}", strategy, seed, budget)
    evo = None
    if strategy == "evolution":
        evo = (
            RegularizedEvolution.from_dict(state.evolution)
            if state.evolution
            else RegularizedEvolution(population, sample_size, seed)
        )
    _save(ws, state)
    stop = should_stop or (lambda: False)
    executor = None
    try:
        while state.spent < state.budget and not stop():
            if state.pending_job is None:
                state.pending_model, state.pending_job = _queue_next(ws, state, evo)
                _save(ws, state)
            if executor is None and own_workers:
                executor = start_executor(ws, executor_plan(ws, workers), until_idle=False)
            job = ws.store.get_job(state.pending_job)
            waiting = False
            while job.state not in FINISHED_STATES and not stop():
                held = job.state == "queued" and ws.store.is_paused()
                if held and on_paused is None:
                    raise ServiceError(_paused_message(state), "queue")
                if held != waiting and on_paused is not None:
                    waiting = held
                    on_paused(held)
                if executor is not None:
                    _supervise(executor, state)
                time.sleep(poll)
                job = ws.store.get_job(job.id)
            if waiting and on_paused is not None:
                on_paused(False)
            if job.state not in FINISHED_STATES:
                break
            fitness = _fitness(ws, job.model_id)
            state.history.append((job.model_id, fitness))
            if evo is not None:
                evo.add(job.model_id, fitness or 0.0)
                state.evolution = evo.to_dict()
            state.spent += 1
            state.pending_job = state.pending_model = None
            _save(ws, state)
            if progress is not None:
                progress(state)
    finally:
        if executor is not None:
            executor.stop()
        state.owner = None
        _save(ws, state)
    return state
