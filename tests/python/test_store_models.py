"""Store basics: opening and migrations, settings, models (dedupe, lineage), cached matrices
and layouts, the change feed and clear errors for bad ids."""

from __future__ import annotations

import socket
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from remap.arch.layers import Activation, Conv2D, Dense, Flatten, MaxPool
from remap.arch.spec import ArchSpec
from remap.store import (
    Store,
    StoreError,
    StoreVersionError,
    UnknownJobError,
    UnknownModelError,
    UnknownRunError,
    schema_version,
)
from remap.store import schema as schema_mod


def spec(filters: int = 4, classes: int = 3) -> ArchSpec:
    return ArchSpec(
        (1, 8, 8), classes, (Conv2D(3, filters), Activation("relu"), Flatten(), Dense(classes))
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "sub" / "remap.db")
    yield s
    s.close()


# -- opening and migrations ------------------------------------------------------------------
def test_open_creates_parents_wal_and_foreign_keys(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "remap.db"
    with Store.open(path) as s:
        assert s.path == path and path.exists()
        conn = sqlite3.connect(path)
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == schema_version()
        conn.close()
        assert s.integrity_check() == "ok"
    assert s.closed
    with pytest.raises(StoreError, match="closed"):
        s.list_models()


def test_open_twice_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "remap.db"
    with Store.open(path) as s:
        model_id, _ = s.add_model(spec(), origin="sampled")
        s.set_setting("k", {"a": [1, 2]})
    with Store.open(path) as s:
        assert [m.id for m in s.list_models()] == [model_id]
        assert s.get_setting("k") == {"a": [1, 2]}


def test_newer_schema_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "remap.db"
    Store.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 9")
    conn.commit()
    conn.close()
    with pytest.raises(
        StoreVersionError, match=rf"created by a newer REMAP \(schema 9 > {schema_version()}\)"
    ):
        Store.open(path)


def test_a_v1_database_is_migrated_by_a_later_migration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "remap.db"
    with Store.open(path) as s:
        s.add_model(spec(), origin="sampled", name="kept")
    calls: list[int] = []

    def v2(conn: sqlite3.Connection) -> None:
        calls.append(1)
        conn.execute("ALTER TABLE models ADD COLUMN note TEXT DEFAULT 'migrated'")

    shipped = len(schema_mod.MIGRATIONS)
    monkeypatch.setattr(schema_mod, "MIGRATIONS", [*schema_mod.MIGRATIONS, v2])
    with Store.open(path) as s:
        assert s.list_models()[0].name == "kept"
    with Store.open(path):
        pass  # already at the new version: not applied again
    assert calls == [1]
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == shipped + 1
    assert conn.execute("SELECT note FROM models").fetchone()[0] == "migrated"
    conn.close()


def test_a_failing_migration_leaves_the_database_at_its_old_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "remap.db"
    Store.open(path).close()

    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("ALTER TABLE models ADD COLUMN half TEXT")
        raise RuntimeError("boom")

    shipped = len(schema_mod.MIGRATIONS)
    monkeypatch.setattr(schema_mod, "MIGRATIONS", [*schema_mod.MIGRATIONS, broken])
    with pytest.raises(RuntimeError, match="boom"):
        Store.open(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == shipped
    columns = [r[1] for r in conn.execute("PRAGMA table_info(models)")]
    assert "half" not in columns
    conn.close()


def test_not_a_database_and_folders_give_clear_errors(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreError, match=r"junk\.db is not a usable REMAP store"):
        Store.open(junk)
    with pytest.raises(StoreError, match="is a folder"):
        Store.open(tmp_path)


# -- settings ----------------------------------------------------------------------------------
def test_settings_round_trip_json(store: Store) -> None:
    assert store.get_setting("missing", 42) == 42
    store.set_setting("train.epochs", 5)
    store.set_setting("nested", {"a": [1.5, None, "x"], "b": True})
    assert store.get_setting("train.epochs") == 5
    assert store.get_setting("nested") == {"a": [1.5, None, "x"], "b": True}
    store.set_setting("train.epochs", 7)
    assert store.get_setting("train.epochs") == 7
    with pytest.raises(StoreError, match="not storable as JSON"):
        store.set_setting("bad", object())


# -- models ------------------------------------------------------------------------------------
def test_add_model_dedupes_by_content_hash(store: Store) -> None:
    a, created_a = store.add_model(spec(4), origin="sampled", name="first", source="s.json")
    b, created_b = store.add_model(spec(4), origin="variation", name="second")
    c, created_c = store.add_model(spec(5), origin="sampled")
    assert (created_a, created_b, created_c) == (True, False, True)
    assert a == b != c
    rec = store.get_model(a)
    assert rec.spec == spec(4)
    assert rec.content_hash == spec(4).content_hash
    assert (rec.name, rec.origin, rec.source) == ("first", "sampled", "s.json")
    assert rec.params == 4 * 9 + 4 + 4 * 36 * 3 + 3
    assert store.find_model_by_hash(spec(5).content_hash).id == c  # type: ignore[union-attr]
    assert store.find_model_by_hash("0" * 16) is None
    assert [m.id for m in store.list_models()] == [a, c]
    assert store.model_count() == 2


def test_impossible_specs_are_stored_without_a_param_count(store: Store) -> None:
    bad = ArchSpec((1, 8, 8), 3, (Conv2D(9, 4), Flatten(), Dense(3)))
    model_id, created = store.add_model(bad, origin="handcrafted")
    assert created and store.get_model(model_id).params is None


def test_lineage_parent_children_and_changes(store: Store) -> None:
    root, _ = store.add_model(spec(4), origin="reference")
    kid1, _ = store.add_model(
        spec(8), origin="variation", parent_id=root, changes=["layer 0: filters 4 → 8"]
    )
    kid2, _ = store.add_model(
        ArchSpec((1, 8, 8), 3, (MaxPool(2), Flatten(), Dense(3))),
        origin="ablation",
        parent_id=root,
        changes=("removed layer 0", "removed layer 1"),
    )
    grandkid, _ = store.add_model(spec(16), origin="variation", parent_id=kid1)
    assert [m.id for m in store.children_of(root)] == [kid1, kid2]
    assert [m.id for m in store.children_of(kid1)] == [grandkid]
    assert store.children_of(kid2) == []
    rec = store.get_model(kid2)
    assert rec.parent_id == root and rec.changes == ("removed layer 0", "removed layer 1")
    assert store.get_model(root).parent_id is None


def test_bad_model_arguments_and_ids(store: Store) -> None:
    with pytest.raises(StoreError, match="unknown model origin 'magic'"):
        store.add_model(spec(), origin="magic")
    with pytest.raises(UnknownModelError, match="unknown model id 17") as info:
        store.add_model(spec(), origin="variation", parent_id=17)
    assert str(info.value) == "unknown model id 17"
    assert isinstance(info.value, KeyError)
    assert store.list_models() == []  # nothing half-written
    with pytest.raises(UnknownModelError, match="unknown model id 5"):
        store.get_model(5)
    with pytest.raises(UnknownModelError):
        store.children_of(5)
    with pytest.raises(UnknownModelError):
        store.list_runs(5)
    with pytest.raises(UnknownJobError, match="unknown job id 3"):
        store.get_job(3)
    with pytest.raises(UnknownJobError):
        store.request_cancel(3)
    with pytest.raises(UnknownRunError, match="unknown run id 4"):
        store.get_run(4)
    with pytest.raises(StoreError, match="list of strings"):
        store.add_model(spec(), origin="sampled", changes="oops")


def test_rename_model(store: Store) -> None:
    model_id, _ = store.add_model(spec(), origin="sampled")
    store.rename_model(model_id, "my model")
    assert store.get_model(model_id).name == "my model"


# -- cached analysis --------------------------------------------------------------------------
def test_matrix_round_trip_and_replace(store: Store) -> None:
    rng = np.random.default_rng(0)
    m = rng.random((4, 4))
    store.put_matrix("otmann", "digits:abc", [3, 1, 4, 2], m)
    ids, got = store.get_matrix("otmann", "digits:abc")  # type: ignore[misc]
    assert ids == [3, 1, 4, 2]
    assert got.dtype == np.float64 and np.array_equal(got, m)
    store.put_matrix("otmann", "digits:abc", [1, 2], np.eye(2, dtype=np.float32))
    ids, got = store.get_matrix("otmann", "digits:abc")  # type: ignore[misc]
    assert ids == [1, 2] and got.dtype == np.float32 and np.array_equal(got, np.eye(2))
    assert store.get_matrix("otmann", "other") is None
    assert store.get_matrix("prediction", "digits:abc") is None
    with pytest.raises(StoreError, match="3 ids but the array has shape"):
        store.put_matrix("otmann", "x", [1, 2, 3], np.zeros((2, 2)))
    with pytest.raises(StoreError, match="numeric arrays only"):
        store.put_matrix("otmann", "x", [1], np.array(["a"], dtype=object))
    assert store.drop_cached(kind="otmann") == 1
    assert store.get_matrix("otmann", "digits:abc") is None


def test_layout_round_trip(store: Store) -> None:
    coords = np.arange(10, dtype=np.float32).reshape(5, 2)
    meta = {"method": "umap", "n_neighbors": 15, "ids_hash": "ff"}
    store.put_layout("prediction", "fp1", [10, 11, 12, 13, 14], coords, meta)
    ids, got, got_meta = store.get_layout("prediction", "fp1")  # type: ignore[misc]
    assert ids == [10, 11, 12, 13, 14] and np.array_equal(got, coords) and got_meta == meta
    got[0, 0] = 99.0  # returned arrays are private copies
    assert store.get_layout("prediction", "fp1")[1][0, 0] == 0.0  # type: ignore[index]
    assert store.get_layout("prediction", "nope") is None
    with pytest.raises(StoreError, match="2 ids"):
        store.put_layout("prediction", "fp1", [1, 2], np.zeros((3, 2)), {})


# -- change feed ---------------------------------------------------------------------------------
def test_events_feed_orders_writes(store: Store) -> None:
    start = store.last_event_seq()
    root, _ = store.add_model(spec(4), origin="sampled")
    store.add_model(spec(4), origin="sampled")  # duplicate: no event
    kid, _ = store.add_model(spec(8), origin="variation", parent_id=root)
    store.set_setting("x", 1)
    events = store.events_since(start)
    assert [e.kind for e in events] == ["model_added", "model_added", "setting_changed"]
    assert [e.model_id for e in events[:2]] == [root, kid]
    assert events[1].payload["parent_id"] == root
    assert events[2].payload == {"key": "x", "value": 1}
    seqs = [e.seq for e in events]
    assert seqs == sorted(seqs) and len(set(seqs)) == 3
    assert store.last_event_seq() == seqs[-1]
    assert store.events_since(seqs[-1]) == []
    assert [e.seq for e in store.events_since(seqs[0])] == seqs[1:]
    assert len(store.events_since(start, limit=2)) == 2
    assert store.prune_events(keep_last=1) == 2
    assert [e.seq for e in store.events_since(0)] == [seqs[-1]]
    store.set_setting("y", 2)  # sequence numbers are never reused after pruning
    assert store.last_event_seq() > seqs[-1]


def test_a_second_connection_sees_committed_writes(tmp_path: Path) -> None:
    path = tmp_path / "remap.db"
    with Store.open(path) as a, Store.open(path) as b:
        model_id, _ = a.add_model(spec(), origin="sampled")
        assert b.get_model(model_id).spec == spec()
        assert [e.kind for e in b.events_since(0)] == ["model_added"]


def test_runs_record_their_executor_and_node_and_old_runs_read_as_local(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from remap.train.config import TrainConfig

    old = tmp_path / "old.db"  # a store from before the migration, with one run in it
    with monkeypatch.context() as m:
        m.setattr(schema_mod, "MIGRATIONS", schema_mod.MIGRATIONS[:1])
        with Store.open(old) as s:
            model, _ = s.add_model(spec(), origin="sampled")
        conn = sqlite3.connect(old)
        conn.execute(
            "INSERT INTO runs (model_id, dataset_name, fingerprint, config, state, started_at) "
            "VALUES (?, 'digits', 'f', '{}', 'failed', 0)",
            (model,),
        )
        conn.commit()
        conn.close()
    with Store.open(old) as s:
        (run,) = s.list_runs(model)
    assert (run.executor, run.node) == ("local", None)

    path = tmp_path / "remap.db"
    with Store.open(path) as s:
        model, _ = s.add_model(spec(), origin="sampled")
        for executor, node in (("local", None), ("ray", "10.0.0.7")):
            job = s.enqueue(model, TrainConfig(epochs=1), {"source": "digits"})
            assert s.claim_job("w", 30.0) is not None
            s.start_run(job, "w", "digits", "f" * 16, executor=executor, node=node)
        runs = s.list_runs(model)
    assert [(r.executor, r.node) for r in runs] == [
        ("local", socket.gethostname()),
        ("ray", "10.0.0.7"),
    ]


# -- rows written by earlier versions -------------------------------------------------------
def test_a_one_class_model_from_an_earlier_version_stays_readable(store: Store) -> None:
    """Earlier versions stored models for one-class data sets; new input needs 2 classes,
    but reading what the store holds must not make every command of the workspace fail."""
    old, _ = store.add_model(spec(classes=1), origin="sampled")
    ok, _ = store.add_model(spec(), origin="sampled")
    assert store.get_model(old).spec.num_classes == 1
    assert [m.id for m in store.list_models()] == [old, ok]
    assert set(store.model_specs([old, ok])) == {old, ok}
    with pytest.raises(Exception, match="at least 2, got 1"):
        ArchSpec.from_json(spec(classes=1).to_json())  # new input is still checked


def test_an_unreadable_stored_architecture_names_the_model(store: Store) -> None:
    model_id, _ = store.add_model(spec(), origin="sampled")
    conn = sqlite3.connect(store.path)
    conn.execute("UPDATE models SET spec = ? WHERE id = ?", ('{"layers": 3}', model_id))
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match=rf"model #{model_id}: its stored architecture"):
        store.get_model(model_id)


def test_ids_no_record_could_have_are_unknown_not_an_overflow(store: Store) -> None:
    """A number SQLite cannot bind (say 10**20 typed on a command line) names no record:
    the same 'unknown … id' error as any other missing id, from every lookup."""
    huge = 10**20
    for lookup, error in (
        (store.get_model, UnknownModelError),
        (store.children_of, UnknownModelError),
        (store.get_job, UnknownJobError),
        (store.get_run, UnknownRunError),
    ):
        for bad in (huge, -(10**20), 0):
            with pytest.raises(error, match=f"id {bad}"):
                lookup(bad)
    with pytest.raises(StoreError, match="out of the store's range"):
        store.events_since(huge)  # any other query with such a number: a StoreError
