"""The verified subsidy: one row per claim, payable unless a block finding touches it.

What touches a claim depends on the programme's keys, so the query is the programme's data:
`subsidy.sql` beside its contract (`[outputs] subsidy`), a SELECT over its facts and the
findings that becomes the `subsidy` table.
"""

from __future__ import annotations

import duckdb

from .contract import Contract
from .errors import AuditorError


def subsidy_sql(contract: Contract) -> str:
    """The programme's subsidy.sql: a SELECT over its facts, `findings` and `policy`."""
    if contract.subsidy_file is None:
        raise AuditorError(
            f"programme {contract.programme}: no subsidy.sql beside its contract ([outputs])"
        )
    return contract.subsidy_file.read_text(encoding="utf-8")


def compute_subsidy(con: duckdb.DuckDBPyConnection, contract: Contract) -> None:
    """Create the `subsidy` table from the programme's subsidy.sql."""
    con.execute(f"CREATE OR REPLACE TABLE subsidy AS {subsidy_sql(contract)}")
