"""python -m auditor."""

from .cli import cli

if __name__ == "__main__":  # a report worker process imports this module: it must not run
    cli()
