"""The export contract as data: the tables a platform export holds and their columns.

docs/export-contract.md documents the same contract; tests/test_contract.py keeps them in step.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    """One column of an export table."""

    name: str
    kind: str  # id | text | date | timestamp | decimal
    required: bool
    help: str
    values: tuple[str, ...] = ()  # the allowed values, when the column is an enumeration


@dataclass(frozen=True)
class Table:
    """One export table; the file is TABLE.{csv,csv.gz,parquet,jsonl,xlsx}."""

    name: str
    help: str
    columns: tuple[Column, ...]
    required: bool = True  # False: a missing file reads as an empty table

    @property
    def required_columns(self) -> tuple[str, ...]:
        """Names of the columns the file must have."""
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        """The column called `name`."""
        return next(c for c in self.columns if c.name == name)


def _c(name: str, kind: str, required: bool, help: str, values: tuple[str, ...] = ()) -> Column:
    return Column(name, kind, required, help, values)


SIZES = ("micro", "small", "medium", "large")
EMPLOYMENTS = ("labor_contract", "dispatch", "other")
ACTIVITY_TABLES = ("signins", "study_sessions", "qa", "exams")

TABLES: tuple[Table, ...] = (
    Table(
        "enterprises",
        "Employers that filed projects.",
        (
            _c("enterprise_id", "id", True, "Unified Social Credit Code (GB 32100), 18 chars"),
            _c("name", "text", True, "registered name"),
            _c("district", "text", False, "district (区)"),
            _c("size_class", "text", False, "micro | small | medium | large", SIZES),
            _c("main_business", "text", False, "main business"),
        ),
    ),
    Table(
        "projects",
        "Filed and approved training projects.",
        (
            _c("project_id", "id", True, "project identifier, unique"),
            _c("enterprise_id", "id", True, "enterprise that filed it"),
            _c(
                "course_id", "text", True, "the platform's course; several enterprises may file one"
            ),
            _c("title", "text", True, "project title"),
            _c("approved_on", "date", True, "date the filing was approved (YYYY-MM-DD)"),
            _c("platform_name", "text", False, "training platform"),
            _c("platform_kind", "text", False, "self | third_party", ("self", "third_party")),
        ),
    ),
    Table(
        "trainees",
        "The enterprise's roster of employees in training.",
        (
            _c("enterprise_id", "id", True, "employer"),
            _c("person_id", "id", True, "18-digit resident ID (GB 11643)"),
            _c("name", "text", True, "trainee's name"),
            _c("phone", "text", False, "mobile number"),
            _c("employment", "text", True, "labor_contract | dispatch | other", EMPLOYMENTS),
            _c("employed_from", "date", False, "first day of employment"),
            _c("employed_to", "date", False, "last day of employment"),
        ),
    ),
    Table(
        "claims",
        "Trainees the enterprise imported to claim the subsidy.",
        (
            _c("project_id", "id", True, "project claimed for"),
            _c("person_id", "id", True, "trainee"),
            _c("imported_at", "timestamp", True, "when the trainee was imported"),
            _c("amount", "decimal", True, "yuan claimed"),
        ),
    ),
    Table(
        "signins",
        "Sign-ins on the platform.",
        (
            _c("project_id", "id", True, "project"),
            _c("person_id", "id", True, "trainee"),
            _c("signed_in_at", "timestamp", True, "time of sign-in"),
            _c("device_id", "text", False, "device"),
            _c("ip", "text", False, "IP address"),
        ),
    ),
    Table(
        "study_sessions",
        "Study records.",
        (
            _c("project_id", "id", True, "project"),
            _c("person_id", "id", True, "trainee"),
            _c("started_at", "timestamp", True, "session start"),
            _c("ended_at", "timestamp", True, "session end"),
            _c("lesson_id", "text", False, "lesson"),
            _c("device_id", "text", False, "device"),
            _c("ip", "text", False, "IP address"),
        ),
    ),
    Table(
        "qa",
        "Q&A tutoring posts.",
        (
            _c("project_id", "id", True, "project"),
            _c("person_id", "id", True, "poster"),
            _c("posted_at", "timestamp", True, "time posted"),
            _c("role", "text", True, "question | answer", ("question", "answer")),
            _c("text", "text", False, "what was written (trainee-typed: never trusted)"),
        ),
        required=False,
    ),
    Table(
        "exams",
        "Exams sat after study.",
        (
            _c("project_id", "id", True, "project"),
            _c("person_id", "id", True, "trainee"),
            _c("started_at", "timestamp", True, "exam start"),
            _c("submitted_at", "timestamp", True, "exam submission"),
            _c("score", "decimal", True, "score obtained"),
            _c("pass_score", "decimal", False, "pass mark"),
            _c("answers_digest", "text", False, "hash of the answers"),
        ),
        required=False,
    ),
)

TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}
