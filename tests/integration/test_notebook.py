"""The analyst notebook runs top to bottom against this test's own database (the demo family)."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "spending_exploration.ipynb"


def _text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        parts.append(out.get("text", ""))
        parts.append(str(out.get("data", {}).get("text/plain", "")))
    return "\n".join(parts)


def test_spending_exploration_runs_top_to_bottom_on_the_demo_family(engine, tmp_path):
    # The engine fixture put this test's database in BUDGET_DATABASE_URL; the kernel inherits it.
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = "\n".join(_text(c) for c in nb.cells if c.cell_type == "code")
    assert "Exploring family" in outputs and "(demo)" in outputs
    assert "At this pace:" in outputs
    charts = [
        o
        for c in nb.cells
        for o in c.get("outputs", [])
        if "application/vnd.vegalite.v5+json" in o.get("data", {}) or "text/html" in o.get("data", {})
    ]
    assert len(charts) >= 6
    assert not [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
