"""Masking of personal data for everything that may be shared: pages, charts, logs, errors.

Public notices mask ID numbers to the first 6 and last 4 characters (no national rule fixes
the pattern, so it is a setting) and phones to 3 + 4. Working papers keep them whole unless
the audit is run with --redact.
"""

from __future__ import annotations

import re

MASK_PATTERN = re.compile(r"^(\d+)\*(\d+)$")
ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx])(?![0-9A-Za-z])")
PHONE_IN_TEXT = re.compile(r"(?<!\d)(1\d{10})(?!\d)")


def parse_mask(pattern: str) -> tuple[int, int]:
    """'6*4' -> keep 6 leading and 4 trailing characters."""
    match = MASK_PATTERN.match(pattern)
    if not match:
        raise ValueError(f"mask pattern {pattern!r} must look like 6*4")
    return int(match.group(1)), int(match.group(2))


def mask(value: object, keep_head: int, keep_tail: int) -> str:
    """Keep `keep_head` and `keep_tail` characters, star the rest; short values are all stars."""
    text = "" if value is None else str(value)
    if len(text) <= keep_head + keep_tail:
        return "*" * len(text)
    return (
        text[:keep_head] + "*" * (len(text) - keep_head - keep_tail) + text[len(text) - keep_tail :]
    )


def mask_text(text: str) -> str:
    """Any ID number or mobile phone number inside free text, masked (for logs and errors)."""
    text = ID_IN_TEXT.sub(lambda m: mask(m.group(1), 6, 4), text)
    return PHONE_IN_TEXT.sub(lambda m: mask(m.group(1), 3, 4), text)
