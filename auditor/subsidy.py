"""The verified subsidy: one row per claim, payable unless a block finding touches it."""

from __future__ import annotations

import duckdb

SUBSIDY_SQL = """
CREATE OR REPLACE TABLE subsidy AS
WITH blocks AS (
    -- NOTE: two equi-joins, not one join on an OR: an OR condition cannot be hash-joined.
    SELECT project_id, person_id, rule_id
    FROM findings
    WHERE severity = 'block' AND project_id IS NOT NULL AND person_id IS NOT NULL
    UNION ALL
    SELECT c.project_id, c.person_id, f.rule_id
    FROM claim_facts c
    JOIN findings f ON f.enterprise_id = c.enterprise_id
    WHERE f.severity = 'block' AND f.project_id IS NULL AND f.person_id IS NULL
),
blocked AS (
    SELECT project_id, person_id, string_agg(DISTINCT rule_id, ',' ORDER BY rule_id) AS rules
    FROM blocks
    GROUP BY project_id, person_id
)
SELECT
    c.enterprise_id,
    c.project_id,
    c.person_id,
    CAST(c.amount AS DECIMAL(14, 2)) AS claimed_amount,
    b.rules IS NULL AS payable,
    CAST(CASE WHEN b.rules IS NULL THEN pol.subsidy_yuan ELSE 0 END AS DECIMAL(14, 2))
        AS verified_amount,
    coalesce(b.rules, '') AS blocking_rules
FROM claim_facts c
CROSS JOIN policy pol
LEFT JOIN blocked b ON b.project_id = c.project_id AND b.person_id = c.person_id
"""


def compute_subsidy(con: duckdb.DuckDBPyConnection) -> None:
    """Create the `subsidy` table from claim_facts and the findings."""
    con.execute(SUBSIDY_SQL)
