"""Everything needed to run Great Expectations 1.24.1 inside DuckDB, and nothing else.

NOTE: with duckdb-engine, GX closes its pooled connection before reading a result set, so every
metric fails with `MetricResolutionError: list index out of range`. Buffering the result inside
`execute_query` fixes it (upstream fix PR great_expectations#11635 was closed unmerged; a native
DuckDB engine, #12084, is still open). tests/test_gxcompat.py fails if this stops working.

NOTE: duckdb refuses a second connection to one database file with a different configuration,
and duckdb-engine sets `custom_user_agent`; `connect` opens ours with the same configuration so
GX and the auditor share the one file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

# NOTE: before GX is imported: it must never try to send usage statistics (no network).
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import duckdb
import duckdb_engine
import great_expectations as gx
import sqlalchemy
from great_expectations.data_context.types.base import (
    DataContextConfig,
    InMemoryStoreBackendDefaults,
    ProgressBarsConfig,
)
from great_expectations.execution_engine.sqlalchemy_execution_engine import (
    SqlAlchemyExecutionEngine,
)

_ORIGINAL_EXECUTE_QUERY = SqlAlchemyExecutionEngine.execute_query


def _buffered_execute_query(self: SqlAlchemyExecutionEngine, query: Any) -> Any:
    with self.get_connection() as connection:
        result = self._execute_query_with_recovery(connection, query)
        return result.freeze()()


def install() -> None:
    """Patch GX's SQL engine to buffer results before its connection closes (idempotent)."""
    SqlAlchemyExecutionEngine.execute_query = _buffered_execute_query  # type: ignore[method-assign]


def uninstall() -> None:
    """Undo `install` (tests use it to show the workaround is still needed)."""
    SqlAlchemyExecutionEngine.execute_query = _ORIGINAL_EXECUTE_QUERY  # type: ignore[method-assign]


def _user_agent() -> str:
    return f"duckdb_engine/{duckdb_engine.__version__}(sqlalchemy/{sqlalchemy.__version__})"


def connect(path: Path) -> duckdb.DuckDBPyConnection:
    """Open the audit database so that GX's duckdb-engine connection may share it.

    Settings such as memory_limit must be SET afterwards: any other connect-time configuration
    would differ from duckdb-engine's and lock GX out.
    """
    return duckdb.connect(str(path), config={"custom_user_agent": _user_agent()})


def ephemeral_context() -> Any:
    """A GX context that keeps nothing on disk, shows no progress bars and sends nothing."""
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    return gx.get_context(mode="ephemeral", project_config=config)
