"""``newsplus new`` and ``newsplus new-plugin``: what they write passes its own tests as generated."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from newsplus.cli import cli


def run_tests(folder: Path) -> subprocess.CompletedProcess:
    """The generated project's own test command, in a fresh process."""
    environment = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=folder,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_new_writes_a_district_app_whose_tests_pass(tmp_path: Path) -> None:
    site = tmp_path / "yanqing"
    result = CliRunner().invoke(cli, ["new", str(site), "--name", "北京延庆", "--district", "yanqing"])
    assert result.exit_code == 0, result.output
    settings = (site / "newsplus.toml").read_text(encoding="utf-8")
    assert 'name = "北京延庆"' in settings and 'district = "yanqing"' in settings
    assert '"wenzheng", "services", "activities", "govinfo"' in settings
    tests = run_tests(site)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "1 passed" in tests.stdout

    again = CliRunner().invoke(cli, ["new", str(site)])
    assert again.exit_code == 1 and "is not empty" in again.output
    bad = CliRunner().invoke(cli, ["new", str(tmp_path / "x"), "--district", "Yan Qing"])
    assert bad.exit_code == 1 and "district 'Yan Qing'" in bad.output


def test_new_plugin_writes_a_plugin_package_whose_tests_pass(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["new-plugin", "farm_subsidy", "--into", str(tmp_path)])
    assert result.exit_code == 0, result.output
    package = tmp_path / "newsplus-farm_subsidy"
    pyproject = (package / "pyproject.toml").read_text(encoding="utf-8")
    assert 'farm_subsidy = "newsplus_farm_subsidy.plugin"' in pyproject
    assert (package / "src" / "newsplus_farm_subsidy" / "templates" / "farm_subsidy" / "index.html").is_file()
    tests = run_tests(package)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "2 passed" in tests.stdout

    twice = CliRunner().invoke(cli, ["new-plugin", "farm_subsidy", "--into", str(tmp_path)])
    assert twice.exit_code == 1 and "exists already" in twice.output
    bad = CliRunner().invoke(cli, ["new-plugin", "Farm-Subsidy", "--into", str(tmp_path)])
    assert bad.exit_code == 1 and "plugin name 'Farm-Subsidy'" in bad.output
