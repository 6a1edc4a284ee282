"""What the auditor guarantees under bad input: errors, nothing lost, privacy, injection, atomicity."""

from __future__ import annotations

import csv
import datetime as dt
import json
import socket
from pathlib import Path

import duckdb
import openpyxl
import pytest
from click.testing import CliRunner

from auditor.cli import cli
from auditor.pipeline import AuditOptions, audit
from tests.exports import clean_world, write_export
from tests.test_report import ID_PATTERN, PHONE_PATTERN

AS_OF = "2023-06-30"
KEY = "k" * 32


def _cli(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, list(args), env=env)


def _audit_cli(export: Path, out: Path, *extra: str, env: dict[str, str] | None = None):
    return _cli(
        "audit",
        str(export),
        "--policy",
        "shanghai-2022",
        "--out",
        str(out),
        "--as-of",
        AS_OF,
        *extra,
        env=env,
    )


# --- bad input: a clear error or a recorded finding, never a traceback or a silent drop ---


def test_a_header_row_of_data_is_named_with_ids_masked(tmp_path: Path) -> None:
    export = write_export(tmp_path / "e", clean_world("shanghai-2022"))
    path = export / "trainees.csv"
    path.write_text(
        "\n".join(path.read_text(encoding="utf-8").splitlines()[1:]) + "\n", encoding="utf-8"
    )
    result = _audit_cli(export, tmp_path / "out")
    assert result.exit_code == 2
    assert "trainees.csv" in result.output and "lacks required column(s)" in result.output
    assert "310101********1234" in result.output and "138****5678" in result.output
    assert not ID_PATTERN.search(result.output) and not PHONE_PATTERN.search(result.output)


def test_duplicate_headers_are_named(tmp_path: Path) -> None:
    export = write_export(tmp_path / "e", clean_world("shanghai-2022"))
    path = export / "claims.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([lines[0] + ",person_id", lines[1] + ",x"]) + "\n", encoding="utf-8")
    result = _audit_cli(export, tmp_path / "out")
    assert result.exit_code == 2
    assert "headers 'person_id' and 'person_id' both give column person_id" in result.output


def test_wrong_encoding_is_named(tmp_path: Path) -> None:
    export = write_export(tmp_path / "e", clean_world("shanghai-2022"))
    path = export / "qa.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("utf-16"))
    result = _audit_cli(export, tmp_path / "out")
    assert result.exit_code == 2
    assert "qa.csv: the text is neither UTF-8 nor GB18030" in result.output


def test_workbook_with_several_sheets(tmp_path: Path) -> None:
    export = write_export(tmp_path / "e", clean_world("shanghai-2022"))
    book = openpyxl.Workbook()
    book.active.title = "说明"
    book.create_sheet("其他")
    book.save(export / "qa.xlsx")
    (export / "qa.csv").unlink()
    result = _audit_cli(export, tmp_path / "out")
    assert result.exit_code == 2
    assert "several sheets (说明, 其他) and none is named 'qa'" in result.output
    sheet = book.create_sheet("qa")
    sheet.append(["project_id", "person_id", "posted_at", "role", "text"])
    sheet.append(["P1", "310101199001011234", dt.datetime(2022, 3, 3, 14, 10), "question", "问题"])
    book.save(export / "qa.xlsx")
    assert _audit_cli(export, tmp_path / "out").exit_code == 0


def test_mixed_date_formats_keep_iso_and_reject_the_rest(tmp_path: Path) -> None:
    rows = clean_world("shanghai-2022")
    extra = [{**rows["trainees"][0], "person_id": f"31010119900101{n:03d}0", "employed_from": d}
             for n, d in enumerate(["2020-01-05", "2020/01/05", "20200105", "2020年1月5日"])]  # fmt: skip
    rows["trainees"].extend(extra)
    run = audit(write_export(tmp_path / "e", rows), "shanghai-2022", tmp_path / "out",
                AuditOptions(as_of=dt.date(2023, 6, 30), reports=False))  # fmt: skip
    with (tmp_path / "out" / "rejects.csv").open(encoding="utf-8") as fh:
        rejected = [(r["source_row"], r["column_name"]) for r in csv.DictReader(fh)]
    assert rejected == [("4", "employed_from"), ("5", "employed_from")]
    assert run.counts["rows.trainees"] == 3


def test_a_one_megabyte_text_cell_and_ten_thousand_columns(tmp_path: Path) -> None:
    rows = clean_world("shanghai-2022")
    rows["qa"][0]["text"] = "长" * (1 << 20)
    export = write_export(tmp_path / "e", rows)
    path = export / "signins.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    extra = 10_000 - 5
    lines[0] += "," + ",".join(f"x{i}" for i in range(extra))
    lines[1:] = [line + "," * extra for line in lines[1:]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run = audit(
        export,
        "shanghai-2022",
        tmp_path / "out",
        AuditOptions(as_of=dt.date(2023, 6, 30), reports=False),
    )
    assert run.exit_code == 0
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest["inputs"]["signins"]["ignored_headers"]) == extra
    con = duckdb.connect(str(tmp_path / "out" / "audit.duckdb"), read_only=True)
    assert con.execute("SELECT length(text) FROM qa").fetchall() == [(1 << 20,)]


# --- personal data ---


def _scan_all_outputs(out: Path) -> list[str]:
    """Every ID-like string in OUT: text files, the workbook and the Parquet file."""
    found = []
    for path in out.rglob("*"):
        if path.suffix in (".csv", ".html", ".json"):
            found += ID_PATTERN.findall(path.read_text(encoding="utf-8"))
        elif path.suffix == ".xlsx":
            for sheet in openpyxl.load_workbook(path, read_only=True).worksheets:
                for row in sheet.iter_rows(values_only=True):
                    found += [c for c in row if isinstance(c, str) and ID_PATTERN.search(c)]
        elif path.suffix == ".parquet":
            rows = duckdb.connect().execute(f"SELECT * FROM read_parquet('{path}')").fetchall()
            found += [c for r in rows for c in r if isinstance(c, str) and ID_PATTERN.search(c)]
    return found


def test_redact_pseudonymises_ids_stably_and_keeps_no_database(tmp_path: Path) -> None:
    rows = clean_world("shanghai-2022")
    rows["exams"] = []  # a blocking finding, so findings.csv names the person
    export = write_export(tmp_path / "e", rows)
    (tmp_path / "key").write_text(KEY, encoding="utf-8")
    first = _audit_cli(
        export, tmp_path / "a", "--redact", "--redact-key-file", str(tmp_path / "key")
    )
    assert first.exit_code == 1, first.output
    second = _audit_cli(export, tmp_path / "b", "--redact", env={"AUDITOR_REDACT_KEY": KEY})
    other = _audit_cli(
        export, tmp_path / "c", "--redact", env={"AUDITOR_REDACT_KEY": "another key, 16+ bytes"}
    )
    assert second.exit_code == other.exit_code == 1
    assert _scan_all_outputs(tmp_path / "a") == []
    callbacks = (tmp_path / "a" / "callbacks.csv").read_text(encoding="utf-8")
    assert "138****5678" in callbacks and not PHONE_PATTERN.search(callbacks)
    assert not list((tmp_path / "a").glob("audit.duckdb*"))
    a = (tmp_path / "a" / "findings.csv").read_text(encoding="utf-8")
    assert a == (tmp_path / "b" / "findings.csv").read_text(encoding="utf-8")
    assert a != (tmp_path / "c" / "findings.csv").read_text(encoding="utf-8")
    assert ",ID-" in a


def test_redact_needs_a_key(tmp_path: Path) -> None:
    export = write_export(tmp_path / "e", clean_world("shanghai-2022"))
    result = _audit_cli(export, tmp_path / "out", "--redact", env={"AUDITOR_REDACT_KEY": ""})
    assert result.exit_code == 2
    assert "--redact needs a key" in result.output


def test_progress_and_summary_never_show_an_id(tmp_path: Path) -> None:
    export = write_export(tmp_path / "e", clean_world("shanghai-2022"))
    result = _audit_cli(export, tmp_path / "out")
    assert result.exit_code == 0
    assert not ID_PATTERN.search(result.output) and not PHONE_PATTERN.search(result.output)


# --- injection ---


def test_formula_cells_are_neutralised_in_csv_and_xlsx(tmp_path: Path) -> None:
    rows = clean_world("shanghai-2022")
    rows["claims"].append({**rows["claims"][0], "project_id": '=HYPERLINK("http://x")'})
    export = write_export(tmp_path / "e", rows)
    audit(
        export,
        "shanghai-2022",
        tmp_path / "out",
        AuditOptions(as_of=dt.date(2023, 6, 30), reports=False),
    )
    for name in ("findings.csv", "subsidy.csv"):
        with (tmp_path / "out" / name).open(encoding="utf-8") as fh:
            cells = [c for row in csv.reader(fh) for c in row]
        assert '\'=HYPERLINK("HTTP://X")' in cells  # IDs are upper-cased at ingest
        assert not any(c[:1] in "=+-@" for c in cells if c)
    book = openpyxl.load_workbook(tmp_path / "out" / "findings.xlsx", read_only=True)
    values = [
        c
        for s in book.worksheets
        for r in s.iter_rows(values_only=True)
        for c in r
        if isinstance(c, str)
    ]
    assert '\'=HYPERLINK("HTTP://X")' in values
    assert not any(v[:1] in "=+-@" for v in values if v)


def test_control_characters_survive_into_the_workbook_escaped(tmp_path: Path) -> None:
    rows = clean_world("shanghai-2022")
    rows["claims"].append({**rows["claims"][0], "project_id": "P\x1fX"})
    audit(
        write_export(tmp_path / "e", rows),
        "shanghai-2022",
        tmp_path / "out",
        AuditOptions(as_of=dt.date(2023, 6, 30)),
    )
    book = openpyxl.load_workbook(tmp_path / "out" / "findings.xlsx", read_only=True)
    projects = {r[4] for r in book["UNKNOWN_PROJECT"].iter_rows(values_only=True)}
    assert "P\\x1fX" in projects
    assert "P\x1fX" in (tmp_path / "out" / "findings.csv").read_text(encoding="utf-8")


def test_an_unexpected_failure_is_one_line_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom at 310101199001011234")

    monkeypatch.setattr("auditor.runners.compute_subsidy", broken)
    result = _audit_cli(
        write_export(tmp_path / "e", clean_world("shanghai-2022")), tmp_path / "out"
    )
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1] == (
        "internal error: RuntimeError: boom at 310101********1234; no output was written (please report)"
    )
    assert not (tmp_path / "out").exists()


# --- no partial output, no network, no leftovers ---


def test_ctrl_c_leaves_the_earlier_out_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    export = write_export(tmp_path / "e", clean_world("shanghai-2022"))
    out = tmp_path / "out"
    assert _audit_cli(export, out).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("auditor.pipeline.write_papers", interrupted)
    result = _audit_cli(export, out)
    assert result.exit_code == 130
    assert "interrupted: no output was written; any earlier OUT is untouched" in result.output
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e", "out"]


def test_the_audit_never_opens_a_network_connection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempts: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise OSError("network is off in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    export = write_export(tmp_path / "e", clean_world("shanghai-2022"))
    run = audit(export, "shanghai-2022", tmp_path / "out", AuditOptions(as_of=dt.date(2023, 6, 30)))
    assert run.exit_code == 0
    assert attempts == []


def test_spill_folder_lives_beside_out_and_is_removed(tmp_path: Path) -> None:
    export = write_export(tmp_path / "e", clean_world("shanghai-2022"))
    audit(
        export,
        "shanghai-2022",
        tmp_path / "out",
        AuditOptions(as_of=dt.date(2023, 6, 30), reports=False),
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e", "out"]
    assert not list((tmp_path / "out").rglob(".spill"))


def test_a_small_memory_limit_spills_instead_of_failing(tmp_path: Path) -> None:
    """Under a 64 MB limit DuckDB still audits 200,000 sessions (spilling beside OUT if it must)."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    from generate_export import generate

    export = tmp_path / "export"
    generate(200_000, export)
    run = audit(export, "shanghai-2022", tmp_path / "out",
                AuditOptions(as_of=dt.date(2023, 6, 30), reports=False, memory_limit="64MB"))  # fmt: skip
    assert (
        run.counts["rows.study_sessions"]
        == duckdb.connect()
        .execute(f"SELECT count(*) FROM read_parquet('{export / 'study_sessions.parquet'}')")
        .fetchall()[0][0]
        > 190_000
    )
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["engine"]["memory_limit"] == "64MB"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export", "out"]


@pytest.mark.parametrize("where", ["export", "parent", "foreign"])
def test_out_is_never_a_folder_that_holds_other_data(tmp_path: Path, where: str) -> None:
    export = write_export(tmp_path / "data" / "e", clean_world("shanghai-2022"))
    out = {"export": export, "parent": tmp_path / "data", "foreign": tmp_path / "mine"}[where]
    if where == "foreign":
        out.mkdir()
        (out / "notes.txt").write_text("keep me", encoding="utf-8")
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    result = _audit_cli(export, out)
    assert result.exit_code == 2
    assert "--out" in result.output
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


# --- times with an offset: the same instant gives the same verdict ---

# The clean claim's training ends Thu 2022-03-03; its 10th working day after is Thu 03-17.
# 01:00 on Fri 03-18 in Shanghai is late (the 11th working day); read as 17:00 local, the
# PostgreSQL text 2022-03-17 17:00:00+00 would pass.
LATE_IMPORT = ["2022-03-17T17:00:00Z", "2022-03-17 17:00:00+00", "2022-03-17T17:00:00+0000",
               "2022-03-17T17:00:00+00:00", "2022-03-18 01:00:00+08", "2022-03-18T01:00:00+08:00",
               "2022-03-17 11:30:00-05:30"]  # fmt: skip


def _verdict(tmp_path: Path, name: str, imported_at: str) -> tuple[str, str]:
    rows = clean_world("shanghai-2022")
    rows["claims"][0]["imported_at"] = imported_at
    audit(write_export(tmp_path / name, rows), "shanghai-2022", tmp_path / f"out-{name}",
          AuditOptions(as_of=dt.date(2023, 6, 30), reports=False))  # fmt: skip
    out = tmp_path / f"out-{name}"
    return (out / "findings.csv").read_text(encoding="utf-8"), (out / "subsidy.csv").read_text(
        encoding="utf-8"
    )


def test_every_offset_form_gives_the_verdict_of_the_same_local_instant(tmp_path: Path) -> None:
    local = _verdict(tmp_path, "local", "2022-03-18 01:00:00")
    assert "IMPORT_LATE" in local[0]
    assert "IMPORT_LATE" not in _verdict(tmp_path, "naive", "2022-03-17 17:00:00")[0]
    for n, text in enumerate(LATE_IMPORT):
        assert _verdict(tmp_path, f"form{n}", text) == local, text
