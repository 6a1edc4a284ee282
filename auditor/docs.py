"""Generate the reference tables in docs/ from the data they describe, so they cannot drift.

`python -m auditor.docs` rewrites the text between `<!-- generated:NAME -->` and
`<!-- /generated:NAME -->` in docs/*.md; tests/test_docs.py fails when a file is out of date.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from .contract import DEFAULT_PROGRAMME, KINDS, list_programmes, load_contract
from .policy import Policy, list_policies, load_schema
from .rules import all_rules


def contract_tables(programme: str = DEFAULT_PROGRAMME) -> str:
    """Markdown: every table and column of a programme's export contract."""
    contract = load_contract(programme)
    key = ", ".join(f"`{k}`" for k in contract.claim_key)
    activity = ", ".join(f"`{t}`" for t in contract.activity_tables) or "none"
    parts = [
        f"{contract.title}. Defined in `checks/programmes/{programme}/contract.toml`.\n",
        f"- Claim (the unit of payment): one row of `{contract.claim_table}`, by {key}.",
        f"- Activity tables (an unreadable time is kept and reported as `BAD_TIMESTAMP`): "
        f"{activity}.",
        f"- Findings, rejects and their papers carry: "
        f"{', '.join(f'`{k}`' for k in contract.keys)}.",
        f"- `subsidy.csv` (`{contract.subsidy_file.name if contract.subsidy_file else '—'}`) "
        f"has one row per claim; amount column `{contract.amount_column}`; report: "
        f"{contract.report}; extras: {', '.join(contract.extras) or 'none'}.",
        f"- Rules shared from another programme: "
        f"{', '.join(f'`{r}`' for r in contract.shared_rules) or 'none'}.\n",
    ]
    for t in contract.tables:
        need = "required" if t.required else "optional (absent = no rows)"
        parts.append(f"### `{t.name}` — {t.help} File {need}.\n")
        parts.append("| column | type | required | meaning |\n|---|---|---|---|")
        for c in t.columns:
            values = f" One of: {', '.join(f'`{v}`' for v in c.values)}." if c.values else ""
            if c.span:
                values += f" {c.span[0].upper()}{c.span[1:]}."
            parts.append(
                f"| `{c.name}` | {c.kind} | {'★' if c.required else ''} | "
                f"{_cell(c.help)}.{values} |"
            )
        parts.append("")
    return "\n".join(parts)


def kinds_table() -> str:
    """Markdown: the column kinds a contract may use."""
    lines = ["| kind | holds |", "|---|---|"]
    lines += [f"| `{kind}` | {help_text} |" for kind, help_text in KINDS.items()]
    return "\n".join(lines)


def _cell(text: str) -> str:
    """Text for a Markdown table cell: a `|` would end the cell."""
    return text.replace("|", "\\|")


def rules_table() -> str:
    """Markdown: every rule with severity, table, column, condition and source; a shared rule
    once more for each programme that rewords it (its contract's [shared_rules])."""
    lines = [
        "| rule | programmes | severity | applies when | fact column | expectation | summary | "
        "source |",
        "|---|---|---|---|---|---|---|---|",
    ]
    rows = [(r, ", ".join((r.programme, *r.shared_with))) for r in all_rules()]
    for programme in list_programmes():
        wording = load_contract(programme).shared_wording
        rows += [
            (replace(r, **dict[str, Any](wording[r.id])), f"{programme} (its wording)")
            for r in all_rules()
            if r.id in wording
        ]
    for r, programmes in rows:
        kwargs = ", ".join(
            f"{k}={v['$PARAMETER'] if isinstance(v, dict) else v}"
            for k, v in r.expectation_kwargs.items()
            if k != "column"
        )
        lines.append(
            f"| `{r.id}` | {programmes} | {r.severity} | {r.when or 'always'} | "
            f"`{r.table}.{r.column}` | "
            f"{r.expectation_type.removeprefix('expect_column_values_to_')}({kwargs}) | "
            f"{r.summary} | {r.source} |"
        )
    return "\n".join(lines)


def signals_section() -> str:
    """Markdown: each authenticity signal, what it means, its innocent look-alikes, how to check."""
    parts = []
    for r in all_rules():
        if r.category != "authenticity":
            continue
        parts.append(f"### `{r.id}` — {r.summary}\n")
        parts.append(f"**What it means.** {r.meaning}\n")
        parts.append(f"**Innocent explanations.** {r.innocent}\n")
        parts.append(f"**How to check.** {r.verify}\n")
        parts.append("**Call-back questions** (in `auditor sample`):\n")
        parts += [f"- {q}" for q in r.questions]
        parts.append("")
    return "\n".join(parts)


def risk_table() -> str:
    """Markdown: the risk score's terms and signal weights, from checks/risk.toml."""
    from .risk import load_formula

    formula = load_formula()
    lines = ["| term | what it measures | points |", "|---|---|---|"]
    lines += [f"| `{t.name}` | {t.label} | `{t.points}` |" for t in formula.terms]
    weights = ", ".join(f"`{k}` {v:g}" for k, v in sorted(formula.weights.items()))
    lines.append("")
    lines.append(
        f"Signal weights: {weights or 'none set'}; any other signal weighs "
        f"{formula.default_weight:g}."
    )
    return "\n".join(lines)


def policies_table() -> str:
    """Markdown: parameters and requirements of every shipped policy, a table per programme.

    The online programme's table comes first, without a heading; each other programme's
    follows under its name, with the parameters of its own policy_schema.toml.
    """
    found = list_policies()
    order = [DEFAULT_PROGRAMME, *sorted({p.programme for p in found} - {DEFAULT_PROGRAMME})]
    parts = []
    for programme in order:
        profiles = [p for p in found if p.programme == programme]
        if not profiles:
            continue
        table = _policies_table(programme, profiles)
        parts.append(table if programme == DEFAULT_PROGRAMME else f"`{programme}`:\n\n{table}")
    return "\n\n".join(parts)


def _policies_table(programme: str, found: list[Policy]) -> str:
    head = "| parameter | meaning | default | " + " | ".join(f"`{p.id}`" for p in found) + " |"
    lines = [head, "|---|---|---|" + "---|" * len(found)]
    programmes = " | ".join(f"`{p.programme}`" for p in found)
    lines.append(
        f"| `programme` | the programme audited: its contract, facts and rules | "
        f"`{DEFAULT_PROGRAMME}` | {programmes} |"
    )
    schema = load_schema(programme)
    for par in schema.parameters:
        values = " | ".join(_show(p.parameters.get(par.name)) for p in found)
        lines.append(f"| `{par.name}` | {par.help} | {_show(par.default)} | {values} |")
    for key, help_text in schema.requirements.items():
        values = " | ".join("yes" if p.requires[key] else "no" for p in found)
        lines.append(f"| `requires.{key}` | {help_text} | — | {values} |")
    for rule_id in sorted({r for p in found for r in p.severity}):
        values = " | ".join(p.severity.get(rule_id, "—") for p in found)
        lines.append(f"| `severity.{rule_id}` | severity set by the profile | — | {values} |")
    return "\n".join(lines)


def report_context() -> str:
    """Markdown: every report page's template context, field by field."""
    from .report.context import PAGES, ROWS, field_help

    parts = []
    for cls in [*PAGES.values(), *ROWS]:
        template = getattr(cls, "documented_template", None)
        title = f"### `{cls.__name__}`" + (f" — `{template}`" if template else "")
        parts.append(f"{title}\n\n{cls.__doc__}\n\n| field | meaning |\n|---|---|")
        parts += [f"| `{name}` | {text} |" for name, text in field_help(cls).items()]
        parts.append("")
    return "\n".join(parts)


def notice_kinds() -> str:
    """Markdown: the problem kinds `auditor check-notice` reports."""
    from .notice import KINDS

    lines = ["| kind | meaning |", "|---|---|"]
    lines += [f"| `{kind}` | {meaning} |" for kind, meaning in KINDS.items()]
    return "\n".join(lines)


def notice_headers() -> str:
    """Markdown: the header texts `auditor check-notice` recognises, per column."""
    from .notice import HEADERS

    lines = ["| column | headers recognised (the first is what the audit writes) |", "|---|---|"]
    lines += [f"| {role} | {', '.join(names)} |" for role, names in HEADERS.items()]
    return "\n".join(lines)


def adapters_section() -> str:
    """Markdown: every shipped adapter, its settings, inputs and what it produces."""
    from .adapters import list_adapters

    parts = []
    for a in list_adapters():
        parts.append(f"### `{a.name}` — {a.title}\n")
        parts.append(f"Produces: {', '.join(f'`{t}`' for t in a.produces)}. "
                     f"SQL: {', '.join(f'`{f}`' for f in a.sql)}.\n")  # fmt: skip
        parts.append(a.description + "\n")
        parts.append("| setting | type | default | meaning |\n|---|---|---|---|")
        for st in a.settings.values():
            adds = f" True: also produces {', '.join(st.adds)}." if st.adds else ""
            default = str(st.default).lower() if isinstance(st.default, bool) else st.default
            parts.append(f"| `{st.name}` | {st.type_name} | `{default}` | {st.help}.{adds} |")
        parts.append("")
        for i in a.inputs:
            need = "required" if i.table.required else "optional (absent = no rows)"
            parts.append(f"Input `{i.name}` — {i.table.help}. File {need}.\n")
            path = " | JSON path" if i.json_paths else ""
            parts.append(f"| column | type | required | meaning{path} |")
            parts.append("|---|---|---|---|" + ("---|" if i.json_paths else ""))
            for c in i.table.columns:
                extra = f" `{i.json_paths[c.name]}` |" if i.json_paths else ""
                star = "★" if c.required else ""
                parts.append(f"| `{c.name}` | {c.kind} | {star} | {c.help}. |{extra}")
            parts.append("")
    return "\n".join(parts)


def _show(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


GENERATORS: dict[str, Callable[[], str]] = {
    **{f"contract:{name}": functools.partial(contract_tables, name) for name in list_programmes()},
    "kinds": kinds_table,
    "rules": rules_table,
    "signals": signals_section,
    "policies": policies_table,
    "risk": risk_table,
    "report-context": report_context,
    "notice-kinds": notice_kinds,
    "notice-headers": notice_headers,
    "adapters": adapters_section,
}


def render(text: str) -> str:
    """`text` with every generated block refreshed."""
    for name, fn in GENERATORS.items():
        tag = re.escape(name)
        pattern = re.compile(
            rf"(<!-- generated:{tag} -->\n).*?(<!-- /generated:{tag} -->)", re.DOTALL
        )
        body = fn()

        def fill(m: re.Match[str], body: str = body) -> str:
            return m.group(1) + body + "\n" + m.group(2)

        text = pattern.sub(fill, text)
    return text


def main(folder: Path) -> int:
    """Rewrite docs/*.md in place; returns 0."""
    for path in sorted(folder.glob("*.md")):
        old = path.read_text(encoding="utf-8")
        new = render(old)
        if new != old:
            path.write_text(new, encoding="utf-8")
            print(f"updated {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs")))
