"""DuckDB fact SQL -> Spark SQL: macro expansion by AST substitution, then sqlglot.

The facts are written for DuckDB and call the macros of checks/facts/_dialect.sql. For Spark,
each macro call is replaced by the macro's body with its arguments substituted (sqlglot AST, not
text): the Spark body from checks/engines/spark/dialect.sql when that file names the macro (its
DuckDB body does not transpile faithfully), else the DuckDB body. Then sqlglot writes Spark SQL
(read="duckdb", write="spark", unsupported constructs raise), after the rewrites below, each of
which keeps DuckDB's result:

- `/` is DuckDB's: always DOUBLE (Spark keeps DECIMAL / DECIMAL a DECIMAL), and IEEE's
  inf, -inf or NaN for a zero divisor (Spark: NULL, or an error in ANSI mode):
  `CAST(a AS DOUBLE) / CAST(b AS DOUBLE)` with a CASE for the zero divisor.
- `round(x, n)` of a DOUBLE rounds x's exact binary value half away from zero in DuckDB
  (round(0.35, 1) = 0.3: 0.35 is 0.34999999999999997...), while Spark rounds its shortest
  decimal text (0.4). It becomes duckdb_round_double(x, n), a function the Spark runner
  registers (auditor/engines/spark.py). A DECIMAL is rounded half away from zero by both and
  left alone. Whether the argument is DOUBLE is read off the expression (a division, an
  exponent literal, a DOUBLE column of an input table, an alias of such an expression).
- A RANGE window frame whose offset is a scalar subquery (sig_lockstep, sig_regularity read
  the one-row `policy` table there) gets the subquery's value as a literal: Spark takes only
  literal offsets. The caller evaluates the subquery (`scalar`).
- `row_number()` (and rank, dense_rank) is BIGINT, as in DuckDB (Spark's is INT).
- `CAST(explode(xs) AS T)` (DuckDB's `CAST(unnest(...) AS T)`) becomes
  `explode(transform(xs, x -> CAST(x AS T)))`: Spark does not nest a generator in a cast.

NULL ordering (DuckDB sorts NULLs last, Spark first for ASC), concat's NULLs, string_agg and
count(*) FILTER are sqlglot's own transpilation.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel
from sqlglot.tokens import TokenType

from ..errors import RuleError
from ..resources import checks_dir

SPARK_DIALECT_FILE = Path("engines") / "spark" / "dialect.sql"  # under checks/
MACRO_PREFIX = "__macro__"
# DuckDB's round() of a DOUBLE, as a Spark function (auditor/engines/spark.py registers it)
DUCKDB_ROUND = "duckdb_round_double"
_MACRO = re.compile(
    r"CREATE\s+OR\s+REPLACE\s+MACRO\s+(\w+)\s*\(([^)]*)\)\s+AS\s+(.*?);\s*$",
    re.IGNORECASE | re.DOTALL | re.MULTILINE,
)


@dataclass(frozen=True)
class Macro:
    name: str
    params: tuple[str, ...]
    body: exp.Expr
    dialect: str  # the dialect its body is written in


def _statements(text: str) -> list[str]:
    """The file's statements, comments dropped (a comment line never holds a statement)."""
    lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith("--")]
    return [s.strip() + ";" for s in "\n".join(lines).split(";\n") if s.strip().rstrip(";")]


def parse_macros(path: Path, dialect: str, names: Iterable[str] = ()) -> dict[str, Macro]:
    """`CREATE OR REPLACE MACRO name(args) AS expr;` statements of `path`, bodies parsed.

    `names`: macros whose calls inside these bodies are macro calls (DuckDB bodies may call
    other macros; a Spark body's calls are Spark's own functions).
    """
    macros: dict[str, Macro] = {}
    for statement in _statements(path.read_text(encoding="utf-8")):
        match = _MACRO.match(statement.strip())
        if not match:
            raise RuleError(f"{path.name}: not a macro definition: {statement[:80]}")
        name, params, body = match.group(1).lower(), match.group(2), match.group(3)
        body = mark_macro_calls(body, set(names) | {name}, dialect) if names else body
        try:
            tree = sqlglot.parse_one(body, read=dialect)
        except sqlglot.errors.ParseError as exc:
            raise RuleError(f"{path.name}: macro {name} does not parse: {exc}") from exc
        macros[name] = Macro(name, tuple(p.strip() for p in params.split(",")), tree, dialect)
    return macros


def mark_macro_calls(sql: str, names: set[str], dialect: str = "duckdb") -> str:
    """Rename each call of a macro in `names` to __macro__<name>, so that sqlglot parses it as
    an anonymous function rather than a built-in of the same name (add_months, raise_error).
    Uses sqlglot's tokenizer: names inside strings and comments stay as they are."""
    tokens = sqlglot.Dialect.get_or_raise(dialect).tokenize(sql)
    # NOTE: positions are in characters of `sql`; edit from the end so earlier ones hold
    edits = []
    for this, after in itertools.pairwise(tokens):
        if after.token_type == TokenType.L_PAREN and this.text.lower() in names:
            edits.append((this.start, this.end + 1, MACRO_PREFIX + this.text.lower()))
    for start, end, text in reversed(edits):
        sql = sql[:start] + text + sql[end:]
    return sql


def _wrap(arg: exp.Expr) -> exp.Expr:
    simple = (exp.Column, exp.Literal, exp.Func, exp.Paren, exp.Cast, exp.Null, exp.Boolean)
    return arg if isinstance(arg, simple) else exp.Paren(this=arg)


def expand_macros(tree: exp.Expr, macros: dict[str, Macro]) -> exp.Expr:
    """Replace every __macro__<name>(args) by the macro's body with the args substituted."""
    for _ in range(20):  # macros may call macros; 20 levels is far beyond any real nesting
        calls = [
            node
            for node in tree.find_all(exp.Anonymous)
            if str(node.this).lower().startswith(MACRO_PREFIX)
        ]
        if not calls:
            return tree
        for call in calls:
            name = str(call.this).lower()[len(MACRO_PREFIX) :]
            macro = macros.get(name)
            if macro is None:
                raise RuleError(f"macro {name} has no definition")
            args = call.expressions
            if len(args) != len(macro.params):
                raise RuleError(f"macro {name} takes {len(macro.params)} arguments")
            bound = dict(zip(macro.params, args, strict=True))

            def substitute(node: exp.Expr, bound: dict[str, exp.Expr] = bound) -> Any:
                if isinstance(node, exp.Column) and not node.table and node.name in bound:
                    return _wrap(bound[node.name].copy())
                return node

            body = macro.body.copy().transform(substitute)
            replacement = _wrap(body) if not isinstance(call.parent, exp.Paren) else body
            if call is tree:
                tree = replacement
            else:
                call.replace(replacement)
    raise RuleError("macros nest more than 20 deep (a macro calls itself?)")


@dataclass
class SparkDialect:
    """The macros for Spark: Spark bodies where given, DuckDB bodies otherwise."""

    macros: dict[str, Macro]
    names: set[str]
    spark_bodies: frozenset[str]

    @classmethod
    def load(cls, facts_folder: Path | None = None, spark_file: Path | None = None) -> SparkDialect:
        duck_path = (facts_folder or checks_dir() / "facts") / "_dialect.sql"
        spark_path = spark_file or checks_dir() / SPARK_DIALECT_FILE
        names = {
            m.group(1).lower()
            for s in _statements(duck_path.read_text(encoding="utf-8"))
            if (m := _MACRO.match(s.strip()))
        }
        duck = parse_macros(duck_path, "duckdb", names)
        spark = parse_macros(spark_path, "spark")
        unknown = set(spark) - set(duck)
        if unknown:
            raise RuleError(f"{spark_path.name}: macros not in _dialect.sql: {sorted(unknown)}")
        return cls({**duck, **spark}, names, frozenset(spark))


def _is_double(node: exp.Expr, double_columns: frozenset[str]) -> bool:
    """Whether DuckDB types `node` DOUBLE (as far as the expression shows)."""
    if isinstance(node, exp.Paren):
        return _is_double(node.this, double_columns)
    if isinstance(node, exp.Div):
        return True
    if isinstance(node, exp.Literal) and not node.is_string:
        return "e" in node.this.lower()
    if isinstance(node, exp.Cast):
        return node.to.this in (exp.DataType.Type.DOUBLE, exp.DataType.Type.FLOAT)
    if isinstance(node, exp.Column):
        return node.name.lower() in double_columns
    if isinstance(node, (exp.Max, exp.Min, exp.Sum, exp.Abs, exp.Coalesce, exp.Neg)):
        return any(_is_double(a, double_columns) for a in node.iter_expressions())
    if isinstance(node, exp.Case):
        branches = [i.args.get("true") for i in node.args.get("ifs", [])]
        branches.append(node.args.get("default"))
        return any(b is not None and _is_double(b, double_columns) for b in branches)
    if isinstance(node, (exp.Add, exp.Sub, exp.Mul)):
        return _is_double(node.this, double_columns) or _is_double(node.expression, double_columns)
    return False


_RANKS = {"rank", "dense_rank", "row_number"}


def _postorder(node: exp.Expr, fn: Callable[[exp.Expr], Any]) -> Any:
    """`fn` applied to every node, children first (sqlglot's transform() goes top-down and
    does not enter what it has replaced: a division inside round() would be missed)."""
    for key, value in list(node.args.items()):
        if isinstance(value, exp.Expr):
            node.set(key, _postorder(value, fn))
        elif isinstance(value, list):
            node.set(key, [_postorder(v, fn) if isinstance(v, exp.Expr) else v for v in value])
    return fn(node)


def _ieee_divide(a: exp.Expr, b: exp.Expr) -> exp.Expr:
    """DuckDB's `/`: DOUBLE division with IEEE results for a zero divisor (inf, -inf, NaN; the
    divisor's sign counts), where Spark gives NULL or (ANSI) stops."""
    num, den = _double(a), _double(b)
    negative_zero = exp.EQ(
        this=exp.Cast(this=den.copy(), to=exp.DataType.build("STRING")),
        expression=exp.Literal.string("-0.0"),
    )
    infinity = exp.Case(
        ifs=[exp.If(this=negative_zero, true=_double(exp.Literal.string("-Infinity")))],
        default=_double(exp.Literal.string("Infinity")),
    )
    zero = exp.EQ(this=den.copy(), expression=exp.Literal.number(0))
    return exp.Paren(
        this=exp.Case(
            ifs=[exp.If(this=zero, true=exp.Mul(this=num.copy(), expression=infinity))],
            default=exp.Div(this=num, expression=den),
        )
    )


def _double(node: exp.Expr) -> exp.Expr:
    return exp.Cast(this=node, to=exp.DataType.build("DOUBLE"))


def to_spark(
    sql: str,
    dialect: SparkDialect,
    scalar: Callable[[str], Any] | None = None,
    double_columns: Iterable[str] = (),
    steps: list[tuple[str, str]] | None = None,
    prefix: str = "",
) -> str:
    """The Spark SQL of one fact's DuckDB SELECT.

    `scalar(spark_sql)`: the value of a one-row, one-column query (a window offset's subquery).
    `double_columns`: names of DOUBLE columns the query reads (from its input tables), so that
    round() of them is rounded as DuckDB rounds a DOUBLE.
    `steps`: when given, a query whose CTEs are read more than once is split: each CTE is
    appended as (prefix + name, its Spark SQL), to be materialised as a view of that name in
    order, and the returned SQL is the final SELECT reading them.
    """
    doubles = frozenset(c.lower() for c in double_columns)
    tree = sqlglot.parse_one(mark_macro_calls(sql, dialect.names), read="duckdb")
    tree = expand_macros(tree, dialect.macros)
    doubles = doubles | _double_aliases(tree, doubles)

    def rewrite(node: exp.Expr) -> Any:
        if isinstance(node, exp.WindowSpec) and str(node.args.get("kind") or "").lower() == "range":
            for side in ("start", "end"):
                offset = node.args.get(side)
                if isinstance(offset, (exp.Subquery, exp.Select)):
                    if scalar is None:
                        raise RuleError("a window offset is a subquery and no value is given")
                    query = offset.this if isinstance(offset, exp.Subquery) else offset
                    value = scalar(query.sql(dialect="spark"))
                    if not isinstance(value, int) or value < 0:
                        raise RuleError(f"window offset {query.sql()} is {value!r}, not a count")
                    node.set(side, exp.Literal.number(value))
            return node
        if isinstance(node, exp.Div):
            return _ieee_divide(node.this, node.expression)
        if isinstance(node, exp.Round) and _is_double(node.this, doubles):
            digits = node.args.get("decimals") or exp.Literal.number(0)
            return exp.Anonymous(this=DUCKDB_ROUND, expressions=[node.this, digits])
        if (
            isinstance(node, exp.Window)
            and isinstance(node.this, (exp.RowNumber, exp.Anonymous))
            and (isinstance(node.this, exp.RowNumber) or node.this.name.lower() in _RANKS)
        ):
            return exp.Cast(this=node, to=exp.DataType.build("BIGINT"))
        if isinstance(node, exp.Cast) and isinstance(node.this, exp.Explode):
            items = node.this.this
            var = exp.to_identifier("x")
            cast = exp.Cast(this=exp.column(var), to=node.to.copy())
            lam = exp.Lambda(this=cast, expressions=[var])
            return exp.Explode(this=exp.Anonymous(this="transform", expressions=[items, lam]))
        return node

    tree = _postorder(tree, rewrite)
    if steps is not None:
        tree, split = _split_ctes(tree, prefix)
        steps.extend(split)
    return tree.sql(dialect="spark", unsupported_level=ErrorLevel.RAISE)


def _split_ctes(tree: exp.Expr, prefix: str) -> tuple[exp.Expr, list[tuple[str, str]]]:
    """When a CTE is read more than once, every CTE as its own step (name, Spark SQL), read by
    the later ones under `prefix` + its name; `tree` keeps only its final SELECT.

    NOTE: Spark inlines a CTE at each reference, so a chain of CTEs each read twice
    (sig_lockstep: suspects, candidates, members) is computed again for every path through
    it; materialising each once (on the executors) keeps the work linear. The result is the
    same: the facts' CTEs are deterministic (every row_number() ordering is total).
    """
    with_ = tree.args.get("with_") or tree.args.get("with")
    if not isinstance(with_, exp.With) or with_.recursive:
        return tree, []
    names = [cte.alias_or_name for cte in with_.expressions]
    reads = [t for t in tree.find_all(exp.Table) if not t.db and t.name in names]
    if all(sum(t.name == n for t in reads) < 2 for n in names):
        return tree, []

    def renamer(visible: list[str]) -> Callable[[exp.Expr], Any]:
        # a CTE sees only the CTEs defined before it; any other name is a table
        def rename(node: exp.Expr) -> Any:
            if isinstance(node, exp.Table) and not node.db and node.name in visible:
                alias = exp.TableAlias(this=exp.to_identifier(node.alias or node.name))
                return exp.Table(this=exp.to_identifier(prefix + node.name), alias=alias)
            return node

        return rename

    steps = []
    for i, cte in enumerate(with_.expressions):
        body = cte.this.transform(renamer(names[:i]))
        sql = body.sql(dialect="spark", unsupported_level=ErrorLevel.RAISE)
        steps.append((prefix + cte.alias_or_name, sql))
    tree = tree.copy()
    tree.set("with_" if "with_" in tree.args else "with", None)
    return tree.transform(renamer(names)), steps


def _double_aliases(tree: exp.Expr, doubles: frozenset[str]) -> frozenset[str]:
    """Names of the query's own columns (CTE and subquery aliases) that are DOUBLE."""
    found = set(doubles)
    for _ in range(10):  # aliases built from aliases: repeat until nothing new
        before = len(found)
        for alias in tree.find_all(exp.Alias):
            if _is_double(alias.this, frozenset(found)):
                found.add(alias.alias.lower())
        if len(found) == before:
            break
    return frozenset(found - doubles)
