"""`remap report`: the snapshot has the protocol's shapes, the page is self-contained under a
strict CSP, hostile strings cannot break out of the embedded JSON, a missing bundle gives a
clear error, and the CLI writes the file."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from service_helpers import tiny_workspace

from remap.cli.main import main
from remap.report import ReportError, build_report, collect_snapshot, render_html
from remap.report.build import embed_json, embed_script, load_bundle
from remap.service import experiments, queue

FAKE_JS = "window.__reportLoaded = true; const s = '</script><script>alert(1)</script>';"
FAKE_CSS = "body { color: red; } /* </style><script>alert(2)</script> */"


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.styles: list[dict[str, str | None]] = []
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script":
            self.scripts.append(found)
        elif tag == "style":
            self.styles.append(found)
        self.urls += [v or "" for k, v in attrs if k in ("src", "href")]


@pytest.fixture()
def assets(tmp_path: Path) -> Path:
    folder = tmp_path / "assets"
    folder.mkdir()
    (folder / "report.js").write_text(FAKE_JS, encoding="utf-8")
    (folder / "remap.css").write_text(FAKE_CSS, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny workspace with two trained models and one untrained child."""
    import torch

    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("ws")
    with tiny_workspace(root) as ws:
        result = experiments.sample(ws, 2, seed=3)
        queue.run_until_idle(ws, workers=1, timeout=120)
        experiments.run_ablation(ws, result.created[0], [0], train=False)
    return root


def test_snapshot_has_the_protocol_shapes(trained: Path) -> None:
    with tiny_workspace(trained) as ws:
        snap = collect_snapshot(ws)
        ids = sorted(m.id for m in ws.store.list_models())
    assert snap["format"] == "remap-report" and snap["version"] == 1
    assert [m["id"] for m in snap["models"]] == ids
    row = snap["models"][0]
    for key in ("parentId", "valAcc", "trainAcc", "jobId", "layers", "state", "params"):
        assert key in row, key
    assert not any("_" in key for key in row)
    assert sorted(int(k) for k in snap["details"]) == ids
    trained_rows = [m for m in snap["models"] if m["state"] == "trained"]
    assert len(trained_rows) == 2
    detail = snap["details"][str(trained_rows[0]["id"])]
    assert len(detail["run"]["perClassAcc"]) == 4
    assert detail["spec"]["layers"][0]["type"]
    assert set(snap["maps"]) == {"architecture", "prediction", "accuracy"}
    assert {p["id"] for p in snap["maps"]["architecture"]["points"]} == set(ids)
    assert {p["id"] for p in snap["maps"]["accuracy"]["points"]} == {m["id"] for m in trained_rows}
    child = next(m for m in snap["models"] if m["parentId"] is not None)
    assert child["state"] == "untrained"
    assert {"parent": child["parentId"], "child": child["id"]} in snap["maps"]["architecture"][
        "edges"
    ]
    assert len(snap["dataset"]["classes"]) == 4
    assert snap["dataset"]["classes"][0]["examples"], "example images are embedded"
    assert snap["status"]["dataset"]["inputShape"] == [1, 12, 12]
    json.dumps(snap, allow_nan=False)  # strict JSON


def test_report_page_is_self_contained(trained: Path, assets: Path, tmp_path: Path) -> None:
    out = tmp_path / "sub" / "report.html"
    with tiny_workspace(trained) as ws:
        assert build_report(ws, out, assets) == out
    page = out.read_text(encoding="utf-8")
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert csp is not None
    nonce = re.search(r"script-src 'nonce-([^']+)'", csp.group(1).replace("&#x27;", "'"))
    assert nonce is not None and len(nonce.group(1)) >= 16
    assert "default-src 'none'" in csp.group(1).replace("&#x27;", "'")
    # as a browser parses it: the JSON data, one script with the nonce, one style with the
    # nonce; no element loads anything from outside (the hostile strings stay text)
    tags = _Tags()
    tags.feed(page)
    assert tags.scripts == [
        {"type": "application/json", "id": "remap-data"},
        {"nonce": nonce.group(1)},
    ]
    assert tags.styles == [{"nonce": nonce.group(1)}]
    assert all(v.startswith("data:") for v in tags.urls), tags.urls
    data = re.search(r'<script type="application/json" id="remap-data">(.*?)</script>', page, re.S)
    assert data is not None
    snap = json.loads(data.group(1))
    assert snap["format"] == "remap-report" and len(snap["models"]) == 3
    # the hostile strings of the bundle cannot close their elements
    assert "'<\\/script><script>alert(1)<\\/script>'" in page
    assert "<\\/style><script>alert(2)" in page
    assert "window.__reportLoaded" in page


def test_nonce_is_fresh_each_time() -> None:
    a = render_html({"status": {}}, "", "")
    b = render_html({"status": {}}, "", "")
    pick = re.compile(r'nonce="([^"]+)"')
    assert pick.findall(a)[0] != pick.findall(b)[0]


def test_embedded_json_cannot_break_out() -> None:
    hostile = {"name": "</script><script>alert(1)</script><!-- \u2028", "n": 1}
    text = embed_json(hostile)
    assert "<" not in text and "\u2028" not in text
    assert json.loads(text) == hostile
    assert "</script" not in embed_script("let a = '</SCRIPT>'; let b = 2;").lower()


def test_missing_bundle_is_a_clear_error(trained: Path, tmp_path: Path) -> None:
    with (
        tiny_workspace(trained) as ws,
        pytest.raises(ReportError, match=r"npm ci && npm run build"),
    ):
        build_report(ws, tmp_path / "r.html", tmp_path / "nowhere")
    with pytest.raises(ReportError, match="report.js"):
        load_bundle(tmp_path)


def test_output_folder_is_refused(trained: Path, assets: Path, tmp_path: Path) -> None:
    with tiny_workspace(trained) as ws, pytest.raises(ReportError, match="is a folder"):
        build_report(ws, tmp_path, assets)


def test_cli_writes_the_report(
    trained: Path,
    assets: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr("remap.report.build.ASSETS", assets)
    out = tmp_path / "cli.html"
    assert main(["report", "-w", str(trained), "--out", str(out)]) == 0
    assert "report written to" in capsys.readouterr().out
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert main(["report", "-w", str(trained), "--out", str(tmp_path / "x.txt")]) == 2
    assert "expected an .html file name" in capsys.readouterr().err
    monkeypatch.setattr("remap.report.build.ASSETS", tmp_path / "missing")
    assert main(["report", "-w", str(trained), "--out", str(out)]) == 2
    assert "npm ci && npm run build" in capsys.readouterr().err
