"""Writes the report: the snapshot as JSON and the built webview bundle (report.js and
remap.css, copied into ``remap/report/assets/`` by ``npm run build``) inlined into ONE HTML
file under a strict Content-Security-Policy (scripts only with a fresh nonce, images only
``data:``, no network)."""

from __future__ import annotations

import html
import json
import re
import secrets
from pathlib import Path
from typing import Any

from remap.service import Workspace

ASSETS = Path(__file__).resolve().parent / "assets"
BUNDLE_FILES = ("report.js", "remap.css")
_SCRIPT_END = re.compile(r"</(script)", re.IGNORECASE)
_STYLE_END = re.compile(r"</(style)", re.IGNORECASE)
_SOURCE_MAP = re.compile(r"^//# sourceMappingURL=.*$", re.MULTILINE)


class ReportError(RuntimeError):
    """The report cannot be written (bundle missing, output not writable)."""


def load_bundle(assets: Path | None = None) -> tuple[str, str]:
    """(report.js, remap.css) from the assets folder, or a clear error saying how to build them."""
    folder = assets or ASSETS
    missing = [name for name in BUNDLE_FILES if not (folder / name).is_file()]
    if missing:
        raise ReportError(
            f"the report bundle is not built ({', '.join(missing)} missing in {folder}); "
            "run `npm ci && npm run build`"
        )
    return (
        (folder / "report.js").read_text(encoding="utf-8"),
        (folder / "remap.css").read_text(encoding="utf-8"),
    )


def embed_json(data: Any) -> str:
    """JSON that is safe inside <script type="application/json">: every '<' is escaped
    (only strings can contain one), so no '</script' or '<!--' can end the element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def embed_script(js: str) -> str:
    """A script body that cannot close its element early ('</script' → '<\\/script')."""
    js = _SOURCE_MAP.sub("", js)  # the map file is not shipped with the report
    if "<!--" in js:
        js = js.replace("<!--", "<\\!--")
    return _SCRIPT_END.sub(r"<\\/\1", js)


def render_html(snapshot: dict[str, Any], js: str, css: str, nonce: str | None = None) -> str:
    nonce = nonce or secrets.token_urlsafe(18)
    csp = (
        "default-src 'none'; img-src data:; "
        f"style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; "
        "base-uri 'none'; form-action 'none'"
    )
    workspace = str(snapshot.get("status", {}).get("workspace", ""))
    title = f"REMAP report — {Path(workspace).name or workspace}"
    css_body = _STYLE_END.sub(r"<\\/\1", css)
    version = html.escape(str(snapshot.get("status", {}).get("version", "")))
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{html.escape(csp)}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="REMAP {version}">\n'
        '<link rel="icon" href="data:,">\n'
        f"<title>{html.escape(title)}</title>\n"
        f'<style nonce="{nonce}">\n{css_body}\n</style>\n'
        "</head>\n<body>\n"
        '<div id="app" data-panel="map" data-mode="report"></div>\n'
        f'<script type="application/json" id="remap-data">{embed_json(snapshot)}</script>\n'
        f'<script nonce="{nonce}">\n{embed_script(js)}\n</script>\n'
        "</body>\n</html>\n"
    )


def build_report(ws: Workspace, out: Path, assets: Path | None = None) -> Path:
    """Write the workspace's report to ``out`` (an .html file) and return its path."""
    from remap.report.snapshot import collect_snapshot

    js, css = load_bundle(assets)
    out = Path(out)
    if out.is_dir():
        raise ReportError(f"{out} is a folder; give a file name such as {out / 'report.html'}")
    page = render_html(collect_snapshot(ws), js, css)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise ReportError(f"cannot write {out}: {exc.strerror or exc}") from None
    return out
