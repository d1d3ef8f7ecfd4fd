"""One naming of models for the CLI, the server's rows and exported files (the editor's rule,
protocol/models.ts): "#10" unnamed, "#12 best_model" named; a stored "m<id>" (what older
servers synthesized) counts as no name, so nothing shows "m10" or "#10 m10"."""

from __future__ import annotations

from pathlib import Path

from service_helpers import TINY_SHAPE, tiny_workspace

from remap.arch import ArchSpec, Conv2D, Dense, MaxPool
from remap.cli.output import model_table
from remap.service import experiments, views
from remap.service.exporting import export_model
from remap.service.naming import given_name, model_label

SPEC = ArchSpec(TINY_SHAPE, 4, (Conv2D(3, 8), MaxPool(2), Dense(16), Dense(4)))
OTHER = ArchSpec(TINY_SHAPE, 4, (Conv2D(3, 4), Dense(4)))


def test_labels_follow_one_rule() -> None:
    assert model_label(10) == "#10" and model_label(10, "") == "#10"
    assert model_label(12, "best_model") == "#12 best_model"
    assert model_label(10, "m10") == "#10" and given_name(10, "m10") == ""
    assert model_label(10, "m9") == "#10 m9"  # a user's name is kept as given


def test_rows_carry_the_given_name_and_the_cli_and_exports_label_by_it(tmp_path: Path) -> None:
    with tiny_workspace(tmp_path) as ws:
        unnamed = experiments.add_spec(ws, SPEC, train=False).created[0]
        legacy = experiments.add_spec(ws, OTHER, name="x", train=False).created[0]
        ws.store.rename_model(legacy, f"m{legacy}")  # as an old store may hold it
        named = experiments.run_ablation(ws, unnamed, [0], train=False).created[0]
        ws.store.rename_model(named, "small")
        rows = {r.id: r for r in views.model_rows(ws)}
        assert rows[unnamed].name == "" and rows[legacy].name == "" and rows[named].name == "small"
        details = views.model_details(ws, legacy)
        assert details["model"]["name"] == ""

        out = tmp_path / "table.txt"
        with out.open("w") as f:
            model_table(list(rows.values()), f)
        table = out.read_text()
        assert f"#{named} small" in table and f"m{legacy}" not in table
        assert f"#{unnamed}" in table

        child = ws.store.get_model(named)
        assert child.parent_id == unnamed
        source = export_model(ws, named).read_text()
        assert f"Parent: #{unnamed}\n" in source and "Name: small" in source
        source = export_model(ws, legacy).read_text()
        assert "Name:" not in source and f"m{legacy}" not in source
