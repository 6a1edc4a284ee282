"""The enterprise risk score: which enterprises' training was most likely not real.

A transparent sum of terms kept as data in checks/risk.toml (no fitted model), computed in
DuckDB from `findings`, `subsidy` and `rule_catalogue`. Which rules are signals comes from the
catalogue's `category` ("authenticity"), never from a list here. Tables written:

- `claim_flags`  (grain: project_id, person_id): claims with at least one authenticity finding,
  their signals and weight. A finding with a project and a person flags that claim; one with a
  person and no project flags each of that person's claims (at its enterprise when it names one);
  a finding that names no person (project- or enterprise-level) flags no claim.
- `risk_terms`   (grain: enterprise_id, term): each term's points, with its label and formula.
- `risk`         (grain: enterprise_id): rank, score and the figures the terms use. Rank: score,
  then unpayable yuan (claimed minus verified), both descending, then enterprise_id.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import sqlglot
from sqlglot import exp

from .errors import AuditorError
from .resources import checks_dir, read_toml
from .rules import RULE_ID

# The figures a term may use, each with its SQL over the `risk_inputs` CTE below.
FIGURES = (
    "claims",
    "flagged_claims",
    "flagged_trainees",
    "flagged_share",
    "weighted_flags",
    "signals",
    "amount_at_stake",
)
ALLOWED_NODES = (
    exp.Literal, exp.Column, exp.Identifier, exp.Paren, exp.Neg, exp.Add, exp.Sub, exp.Mul,
    exp.Div, exp.Ln, exp.Log, exp.Sqrt, exp.Least, exp.Greatest,
)  # fmt: skip


class RiskFormulaError(AuditorError):
    """checks/risk.toml is malformed."""


@dataclass(frozen=True)
class Term:
    """One term of the score: its points are `points` (SQL over FIGURES), rounded to 2 decimals."""

    name: str
    label: str
    points: str


@dataclass(frozen=True)
class RiskFormula:
    """The score: terms, and a weight per signal (`default_weight` for signals not listed)."""

    terms: tuple[Term, ...]
    weights: dict[str, float]
    default_weight: float


def risk_file() -> Path:
    """checks/risk.toml."""
    return checks_dir() / "risk.toml"


def load_formula(path: Path | None = None) -> RiskFormula:
    """Read and validate the score formula: only FIGURES, numbers, arithmetic, a few functions."""
    path = path or risk_file()
    where = f"risk formula {path.name}"
    data = read_toml(path, RiskFormulaError, where)
    if extra := sorted(set(data) - {"default_weight", "weights", "terms"}):
        raise RiskFormulaError(f"{where}: unknown keys {extra}")
    default = data.get("default_weight", 1.0)
    weights = data.get("weights", {})
    if not _weight(default) or not isinstance(weights, dict):
        raise RiskFormulaError(f"{where}: default_weight and [weights] must be numbers ≥ 0")
    for rule_id, weight in weights.items():
        if not RULE_ID.match(rule_id) or not _weight(weight):
            raise RiskFormulaError(f"{where}: weight {rule_id} = {weight!r} is not a number ≥ 0")
    terms = data.get("terms")
    if not isinstance(terms, list) or not terms:
        raise RiskFormulaError(f"{where}: needs at least one [[terms]]")
    parsed = []
    for term in terms:
        if (
            not isinstance(term, dict)
            or set(term) != {"name", "label", "points"}
            or not all(isinstance(v, str) and v for v in term.values())
            or not RULE_ID.match(term["name"].upper())
        ):
            raise RiskFormulaError(f"{where}: each term needs text name, label and points: {term}")
        parsed.append(Term(term["name"], term["label"], _check_points(term["points"], where)))
    if len({t.name for t in parsed}) != len(parsed):
        raise RiskFormulaError(f"{where}: term names repeat")
    return RiskFormula(tuple(parsed), {k: float(v) for k, v in weights.items()}, float(default))


def _weight(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value >= 0


def _check_points(points: str, where: str) -> str:
    """The expression, re-written by sqlglot, when it uses only what FIGURES and ALLOWED allow."""
    try:
        tree = sqlglot.parse_one(points, read="duckdb")
    except sqlglot.errors.ParseError as exc:
        raise RiskFormulaError(f"{where}: cannot parse {points!r}") from exc
    for node in tree.walk():
        bad = (
            not isinstance(node, ALLOWED_NODES)
            or (isinstance(node, exp.Literal) and node.is_string)
            or (isinstance(node, exp.Column) and (node.table or node.name not in FIGURES))
        )
        if bad:
            raise RiskFormulaError(
                f"{where}: {points!r} may use only {', '.join(FIGURES)}, numbers, + - * / and "
                f"ln, log10, sqrt, least, greatest (found {node.sql('duckdb')!r})"
            )
    return tree.sql("duckdb")


FLAGS_SQL = """
CREATE OR REPLACE TABLE claim_flags AS
WITH signal_findings AS (
    SELECT f.* FROM findings f
    JOIN rule_catalogue c ON c.rule_id = f.rule_id AND c.category = 'authenticity'
    WHERE f.person_id IS NOT NULL
),
hits AS (
    -- NOTE: three equi-joins, not one join on an OR (an OR condition cannot be hash-joined)
    SELECT s.enterprise_id, s.project_id, s.person_id, f.rule_id
    FROM signal_findings f
    JOIN subsidy s ON s.project_id = f.project_id AND s.person_id = f.person_id
    UNION
    SELECT s.enterprise_id, s.project_id, s.person_id, f.rule_id
    FROM signal_findings f
    JOIN subsidy s ON s.person_id = f.person_id AND s.enterprise_id = f.enterprise_id
    WHERE f.project_id IS NULL
    UNION
    SELECT s.enterprise_id, s.project_id, s.person_id, f.rule_id
    FROM signal_findings f
    JOIN subsidy s ON s.person_id = f.person_id
    WHERE f.project_id IS NULL AND f.enterprise_id IS NULL
)
SELECT h.enterprise_id, h.project_id, h.person_id,
       list(h.rule_id ORDER BY h.rule_id) AS signals,
       sum(coalesce(w.weight, $default_weight)) AS weight
FROM hits h
LEFT JOIN risk_weights w ON w.rule_id = h.rule_id
GROUP BY h.enterprise_id, h.project_id, h.person_id
"""

RISK_INPUTS_SQL = """
WITH ids AS (
    SELECT enterprise_id FROM enterprises WHERE enterprise_id IS NOT NULL
    UNION SELECT enterprise_id FROM subsidy WHERE enterprise_id IS NOT NULL
),
s AS (
    SELECT enterprise_id, count(*) AS claims,
           coalesce(sum(claimed_amount), 0) - coalesce(sum(verified_amount), 0) AS unpayable
    FROM subsidy GROUP BY enterprise_id
),
fl AS (
    SELECT c.enterprise_id, count(*) AS flagged_claims,
           count(DISTINCT c.person_id) AS flagged_trainees,
           sum(c.weight) AS weighted_flags,
           coalesce(sum(s.verified_amount), 0) AS amount_at_stake
    FROM claim_flags c
    JOIN subsidy s ON s.project_id = c.project_id AND s.person_id = c.person_id
    GROUP BY c.enterprise_id
),
sig AS (
    SELECT enterprise_id, count(DISTINCT rule_id) AS signals
    FROM (SELECT enterprise_id, unnest(signals) AS rule_id FROM claim_flags)
    GROUP BY enterprise_id
)
SELECT ids.enterprise_id,
       coalesce(e.name, '') AS name,
       coalesce(s.claims, 0) AS claims,
       coalesce(fl.flagged_claims, 0) AS flagged_claims,
       coalesce(fl.flagged_trainees, 0) AS flagged_trainees,
       CASE WHEN coalesce(s.claims, 0) = 0 THEN 0.0
            ELSE coalesce(fl.flagged_claims, 0) / s.claims END AS flagged_share,
       CAST(coalesce(fl.weighted_flags, 0) AS DOUBLE) AS weighted_flags,
       coalesce(sig.signals, 0) AS signals,
       CAST(coalesce(fl.amount_at_stake, 0) AS DECIMAL(14, 2)) AS amount_at_stake,
       CAST(coalesce(s.unpayable, 0) AS DECIMAL(14, 2)) AS unpayable
FROM ids
LEFT JOIN (SELECT enterprise_id, min(name) AS name FROM enterprises GROUP BY enterprise_id) e
    ON e.enterprise_id = ids.enterprise_id
LEFT JOIN s ON s.enterprise_id = ids.enterprise_id
LEFT JOIN fl ON fl.enterprise_id = ids.enterprise_id
LEFT JOIN sig ON sig.enterprise_id = ids.enterprise_id
"""


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def compute_risk(con: duckdb.DuckDBPyConnection, formula: RiskFormula | None = None) -> None:
    """Create claim_flags, risk_terms and risk (see the module docstring)."""
    formula = formula or load_formula()
    con.execute("CREATE OR REPLACE TABLE risk_weights (rule_id VARCHAR, weight DOUBLE)")
    if formula.weights:
        con.executemany("INSERT INTO risk_weights VALUES (?, ?)", list(formula.weights.items()))
    con.execute(FLAGS_SQL, {"default_weight": formula.default_weight})
    con.execute(f"CREATE OR REPLACE TEMP TABLE risk_inputs AS {RISK_INPUTS_SQL}")
    figures = ", ".join(FIGURES)
    terms = " UNION ALL ".join(
        f"SELECT enterprise_id, {i} AS term_order, {_literal(t.name)} AS term, "
        f"{_literal(t.label)} AS label, {_literal(t.points)} AS formula, "
        # NOTE: a NULL or non-finite value (ln of 0, a division by 0) counts 0 points
        f"CAST(round(coalesce(CASE WHEN isfinite(v) THEN v END, 0), 2) AS DECIMAL(12, 2)) "
        f"AS points FROM (SELECT enterprise_id, CAST(({t.points}) AS DOUBLE) AS v "
        f"FROM (SELECT enterprise_id, {figures} FROM risk_inputs))"
        for i, t in enumerate(formula.terms)
    )
    con.execute(f"CREATE OR REPLACE TABLE risk_terms AS {terms}")
    con.execute(
        """
        CREATE OR REPLACE TABLE risk AS
        SELECT CAST(row_number() OVER (
                   ORDER BY t.score DESC, i.unpayable DESC, i.enterprise_id) AS INTEGER) AS rank,
               i.enterprise_id, i.name, t.score, i.claims, i.flagged_claims,
               i.flagged_trainees, i.flagged_share, i.weighted_flags, i.signals,
               i.amount_at_stake, i.unpayable
        FROM risk_inputs i
        JOIN (SELECT enterprise_id, CAST(sum(points) AS DECIMAL(14, 2)) AS score
              FROM risk_terms GROUP BY enterprise_id) t ON t.enterprise_id = i.enterprise_id
        """
    )
    con.execute("DROP TABLE risk_inputs")
