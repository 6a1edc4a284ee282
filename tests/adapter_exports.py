"""Realistic raw platform exports for the adapter tests: an LRS's xAPI statements (cmi5) and a
Moodle site's standard log download, each with the contract files an auditor still gets from
the enterprise (enterprises, projects, trainees, claims)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import uuid
from pathlib import Path
from typing import Any

from tests.exports import clean_world, write_export

ADL = "http://adlnet.gov/expapi/verbs/"
ADL_W3ID = "https://w3id.org/xapi/adl/verbs/"
SESSION_EXT = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"
MASTERY_EXT = "https://w3id.org/xapi/cmi5/context/extensions/masteryscore"
CMI5_CATEGORY = "https://w3id.org/xapi/cmi5/context/categories/cmi5"
HOME = "https://learn.example.com.cn"
COURSE = "https://learn.example.com.cn/xapi/course/C1"
AU_LESSON1 = COURSE + "/au/lesson-1"
AU_LESSON2 = COURSE + "/au/lesson-2"
AU_EXAM = COURSE + "/au/final-exam"
FORUM = COURSE + "/forum"
VIDEO = COURSE + "/video/intro"

ZHANG = "310101199001011234"  # the clean world's trainee, by account
LI = "310104198506154569"  # a second trainee of P1, by e-mail address


def contract_tables(extra_trainee: bool = True) -> dict[str, list[dict[str, Any]]]:
    """enterprises, projects, trainees, claims of the Shanghai clean world (P1), with 李娜 too."""
    world = clean_world("shanghai-2022")
    tables = {t: world[t] for t in ("enterprises", "projects", "trainees", "claims")}
    if extra_trainee:
        tables["trainees"].append(
            {**tables["trainees"][0], "person_id": LI, "name": "李娜", "phone": "13998765432"}
        )
        tables["claims"].append({**tables["claims"][0], "person_id": LI})
    return tables


def shanghai(y: int, mo: int, d: int, h: int, mi: int, s: float = 0) -> dt.datetime:
    """A Shanghai wall-clock time (UTC+8, no daylight saving)."""
    whole = int(s)
    return dt.datetime(y, mo, d, h, mi, whole, round((s - whole) * 1e6))


def utc_stamp(local: dt.datetime) -> str:
    """The LRS's form: UTC with milliseconds and Z (xAPI 4.5, cmi5 9.7)."""
    return (local - dt.timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class Lrs:
    """Statements as an LRS returns them, one JSON object per line, in stored order."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.ids: dict[int, str] = {}  # record number -> statement id

    def add(
        self,
        actor: dict[str, Any],
        verb: str,
        obj: str,
        at: dt.datetime,
        *,
        session: str | None = None,
        registration: str | None = None,
        result: dict[str, Any] | None = None,
        extensions: dict[str, Any] | None = None,
        stamp: str | None = None,
        statement_ref: bool = False,
    ) -> int:
        """Append a statement; its record number (line) in the file."""
        name = verb.rsplit("/", 1)[-1]
        statement: dict[str, Any] = {
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{len(self.lines)}-{verb}-{at}")),
            "actor": {"objectType": "Agent", **actor},
            "verb": {"id": verb, "display": {"en-US": name}},
            "object": {"objectType": "StatementRef", "id": obj}
            if statement_ref
            else {
                "objectType": "Activity",
                "id": obj,
                "definition": {"name": {"zh-CN": obj.rsplit("/", 1)[-1]}},
            },
            "timestamp": stamp or utc_stamp(at),
            "stored": utc_stamp(at + dt.timedelta(seconds=2)),
            "version": "1.0.3",
        }
        context: dict[str, Any] = {}
        if registration:
            context["registration"] = registration
        if session:
            context["extensions"] = {SESSION_EXT: session, **(extensions or {})}
            context["contextActivities"] = {
                "category": [{"id": CMI5_CATEGORY}],
                "grouping": [{"id": obj.replace("/au/", "/publisher/")}],
            }
        elif extensions:
            context["extensions"] = extensions
        if context:
            statement["context"] = context
        if result:
            statement["result"] = result
        self.lines.append(json.dumps(statement, ensure_ascii=False))
        self.ids[len(self.lines)] = statement["id"]
        return len(self.lines)

    def raw(self, line: str) -> int:
        """Append a line as it is (a broken one); its record number."""
        self.lines.append(line)
        return len(self.lines)

    def write(self, path: Path) -> None:
        path.write_text("\n".join(self.lines) + "\n", encoding="utf-8")


def account(name: str) -> dict[str, Any]:
    return {"name": name, "account": {"homePage": HOME, "name": name}}


def mbox(address: str) -> dict[str, Any]:
    return {"name": address.split("@")[0], "mbox": f"mailto:{address}"}


def write_tables(folder: Path, tables: dict[str, list[dict[str, Any]]]) -> Path:
    """The contract tables (others written header-only are removed: the adapter supplies them)."""
    write_export(folder, tables)
    for name in ("signins", "study_sessions", "qa", "exams"):
        (folder / f"{name}.csv").unlink()
    return folder


def write_csv(path: Path, header: list[str], rows: list[list[Any]], newline: str = "\n") -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator=newline)
        writer.writerow(header)
        writer.writerows(rows)
