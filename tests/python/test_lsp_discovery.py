"""``remap/suggest``, ``remap/applySuggestion`` and ``remap/dismissSuggestion`` over the
real server (stdio, real store, a real 1-epoch training so the front has a model)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsp_fixtures.harness import small_spec, start, stop, wait_for, write_npz

pytestmark = pytest.mark.asyncio


async def test_suggest_apply_and_dismiss(tmp_path: Path) -> None:
    data = write_npz(tmp_path / "data.npz")
    client, _ = await start(tmp_path, {"dataset": str(data), "epochs": 1, "device": "cpu"})
    try:
        first = await client.request("remap/suggest", {"n": 2})
        assert [s["kind"] for s in first["suggestions"]] == ["sample", "sample"]
        assert "no trained model yet" in first["suggestions"][0]["reason"]

        made = await client.request("remap/generate", {"kind": "spec", "spec": small_spec(4)})
        parent = made["created"][0]

        async def trained() -> bool:
            state = await client.request("remap/queue", {"action": "list"})
            return bool(state["summary"]["done"] == 1)

        await wait_for(trained, timeout=300)
        found = (await client.request("remap/suggest", {"n": 5, "seed": 1}))["suggestions"]
        again = (await client.request("remap/suggest", {"n": 5, "seed": 1}))["suggestions"]
        assert found == again
        derived = [s for s in found if s["kind"] in ("ablate", "vary")]
        assert derived and all(s["parent"] == parent for s in derived)
        for s in found:
            assert set(s) == {"key", "kind", "parent", "changes", "preview", "reason", "cost"}
            assert set(s["cost"]) == {"params", "epochs", "seconds"} and s["cost"]["epochs"] == 1
        vary = next(s for s in found if s["kind"] == "vary")
        assert "maxChanges" in vary["changes"][0]

        for s in derived:
            result = await client.request(
                "remap/applySuggestion",
                {"kind": s["kind"], "parent": s["parent"], "changes": s["changes"], "train": False},
            )
            assert len(result["created"]) == 1
            row = await client.request("remap/getModel", {"modelId": result["created"][0]})
            assert row["model"]["parentId"] == parent

        dismissed = await client.request("remap/dismissSuggestion", {"key": found[0]["key"]})
        assert dismissed == {"dismissed": [found[0]["key"]]}
        later = (await client.request("remap/suggest", {"n": 5, "seed": 1}))["suggestions"]
        assert found[0]["key"] not in {s["key"] for s in later}

        bad = await client.rejected("remap/suggest", {"n": 0})
        assert "n" in str(bad)
        bad = await client.rejected(
            "remap/applySuggestion", {"kind": "ablate", "parent": parent, "changes": [{"op": "x"}]}
        )
        assert "changes" in str(bad)
    finally:
        await stop(client)
