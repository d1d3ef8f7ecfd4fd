"""The static HTML report (`remap report`): one self-contained page with the model map,
drawer, inspector and data selector of a workspace, read-only, for sharing and archiving."""

from remap.report.build import ReportError, build_report, render_html
from remap.report.snapshot import collect_snapshot

__all__ = ["ReportError", "build_report", "collect_snapshot", "render_html"]
