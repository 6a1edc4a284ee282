"""The wheel carries checks/ and reports/ and audits from any directory."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.exports import clean_world, write_export

ROOT = Path(__file__).resolve().parent.parent
# NOTE: one worker builds the wheel once for both tests (an in-tree build is not shared safely)
pytestmark = pytest.mark.xdist_group("wheel")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(dist), str(ROOT)],
        check=True,
    )
    [built] = dist.glob("auditor-*.whl")
    return built


def test_wheel_carries_rules_policies_and_templates(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "auditor/_data/checks/rules/HOURS_SHORT.toml",
        "auditor/_data/checks/policies/shanghai-2022.toml",
        "auditor/_data/checks/facts/claim_facts.sql",
        "auditor/_data/checks/facts/_dialect.sql",
        "auditor/_data/reports/templates/index.html.j2",
    ):
        assert needed in names, needed
    assert not any("tests/" in n or n.endswith(".pyc") for n in names)


def test_installed_wheel_audits_from_another_directory(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
    )
    export = write_export(tmp_path / "export", clean_world("shanghai-2022"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}
    where = subprocess.run(
        [sys.executable, "-c", "import auditor.resources as r; print(r.data_root())"],
        cwd=elsewhere, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert where.stdout.strip() == str(target / "auditor" / "_data")
    run = subprocess.run(
        [sys.executable, "-m", "auditor", "audit", str(export), "--policy", "shanghai-2022",
         "--out", "out", "--as-of", "2023-06-30", "--quiet"],
        cwd=elsewhere, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert (elsewhere / "out" / "index.html").is_file()
