"""bench/ does not rot: its --quick mode builds tiny data sets, starts newsplus and the bare reference the
same way a full run does, drives them and prints a row for every goal (the figures mean nothing here)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_quick_benchmark_run_prints_every_goal(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--no-wagtail", "--workdir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        env=dict(os.environ),
    )
    assert run.returncode == 0, run.stderr[-3000:]
    rows = [line for line in run.stdout.splitlines() if line.startswith("| P")]
    goals = {re.match(r"\| (P\d)", row).group(1) for row in rows}
    assert goals == {"P1", "P3", "P4", "P5", "P6"}
    for row in rows:
        figure = row.split("|")[2]
        assert re.search(r"\d", figure), row  # every goal was measured
    assert any("intake" in row and "SQLite" in row for row in rows)
    if os.environ.get("NEWSPLUS_REQUIRE_POSTGRES") == "1":
        assert any("PostgreSQL" in row for row in rows)
