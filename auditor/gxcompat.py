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

import importlib
import threading
from importlib.metadata import version

import duckdb

# NOTE: GX is imported on first use, not with this module: it takes ~6 s (it imports pandas,
# SQLAlchemy, altair and, when installed, pyspark). `prefetch` starts that import in a thread at
# the start of an audit, so that it overlaps ingest instead of delaying the first progress line.
_GX = "great_expectations"
_prefetch: threading.Thread | None = None


def prefetch() -> None:
    """Import GX in a background thread (idempotent); every use of GX here waits for it first
    (`_gx`): importing a GX module while another thread is inside GX's package initialisation
    can hand back a partly initialised module."""
    global _prefetch
    if _prefetch is None:
        # NOTE: what an audit's main thread imports while GX loads, and GX imports too, is
        # imported here first (pandas, through DuckDB's Arrow conversions): a module two
        # threads import at once can likewise come back half made (checked with an import
        # audit hook over the three samples: the rest are encodings, pyarrow.vendored, stdnum)
        importlib.import_module("pyarrow.pandas_compat")
        _prefetch = threading.Thread(target=importlib.import_module, args=(_GX,), daemon=True)
        _prefetch.start()


def gx() -> Any:
    """The great_expectations module, once any prefetch has finished importing it."""
    if _prefetch is not None:
        _prefetch.join()
    return importlib.import_module(_GX)


def gx_version() -> str:
    return version(_GX)


def _engine() -> Any:
    gx()
    from great_expectations.execution_engine.sqlalchemy_execution_engine import (
        SqlAlchemyExecutionEngine,
    )

    if not hasattr(SqlAlchemyExecutionEngine, "_auditor_original_execute_query"):
        SqlAlchemyExecutionEngine._auditor_original_execute_query = (  # type: ignore[attr-defined]
            SqlAlchemyExecutionEngine.execute_query
        )
    return SqlAlchemyExecutionEngine


def _buffered_execute_query(self: Any, query: Any) -> Any:
    with self.get_connection() as connection:
        result = self._execute_query_with_recovery(connection, query)
        return result.freeze()()


def install() -> None:
    """Patch GX's SQL engine to buffer results before its connection closes (idempotent)."""
    _engine().execute_query = _buffered_execute_query


def uninstall() -> None:
    """Undo `install` (tests use it to show the workaround is still needed)."""
    engine = _engine()
    engine.execute_query = engine._auditor_original_execute_query


def _user_agent() -> str:
    # duckdb-engine's own string, from package metadata (importing it would import SQLAlchemy)
    return f"duckdb_engine/{version('duckdb_engine')}(sqlalchemy/{version('sqlalchemy')})"


def connect(path: Path) -> duckdb.DuckDBPyConnection:
    """Open the audit database so that GX's duckdb-engine connection may share it.

    Settings such as memory_limit must be SET afterwards: any other connect-time configuration
    would differ from duckdb-engine's and lock GX out.
    """
    return duckdb.connect(str(path), config={"custom_user_agent": _user_agent()})


def ephemeral_context() -> Any:
    """A GX context that keeps nothing on disk, shows no progress bars and sends nothing."""
    gx_module = gx()
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    return gx_module.get_context(mode="ephemeral", project_config=config)
