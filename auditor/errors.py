"""Errors the auditor reports to its user, each carrying the exit status it maps to."""

from __future__ import annotations


class AuditorError(Exception):
    """A problem the user can fix; the CLI prints it without a traceback."""

    exit_code = 2


class ExportError(AuditorError):
    """The export directory breaks the contract; names the file, row and column when known."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.file, self.row, self.column = file, row, column
        where = ", ".join(
            part
            for part in (
                f"file {file}" if file else "",
                f"row {row}" if row is not None else "",
                f"column {column}" if column else "",
            )
            if part
        )
        super().__init__(f"{where}: {message}" if where else message)


class PolicyError(AuditorError):
    """A policy profile is missing, malformed or incomplete."""


class CalendarError(AuditorError):
    """Working days cannot be decided for a date (outside the official calendar's years)."""


class RuleError(AuditorError):
    """A rule file in checks/ is malformed."""


class EvaluationError(AuditorError):
    """An expectation could not be evaluated; the audit fails closed rather than guess."""


class SampleError(AuditorError):
    """`auditor sample` cannot draw: OUT is not a usable audit, or the size is impossible."""


class EstimateError(AuditorError):
    """`auditor estimate` cannot read the filled sample: missing columns, answers not yes/no."""


class NoticeError(AuditorError):
    """A public notice cannot be read, or OUT is not an audit it can be checked against."""


class AdapterError(AuditorError):
    """An adapter is unknown, malformed, given a bad setting, or its SQL broke its promise."""


class ContractError(AuditorError):
    """A programme is unknown, or its contract.toml is malformed."""
