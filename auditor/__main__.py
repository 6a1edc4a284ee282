"""python -m auditor."""

from .cli import cli

cli()
