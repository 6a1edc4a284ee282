"""Re-check an audit's inputs: have the files named in OUT/manifest.json changed since?"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .engines.spark_lake import lake_uri
from .errors import AuditorError
from .papers import sha256_of


@dataclass(frozen=True)
class InputCheck:
    """One input file: where it is, and whether it still has the recorded SHA-256."""

    path: Path
    status: str  # same | changed | missing


def verify_inputs(out: Path) -> list[InputCheck]:
    """Recompute the SHA-256 of every input the manifest names."""
    manifest_path = out / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        export_dir = Path(manifest["export_dir"])
        inputs = manifest["inputs"]
    except FileNotFoundError:
        raise AuditorError(f"{manifest_path} does not exist: is {out} an audit's output?") from None
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise AuditorError(f"{manifest_path} is not an auditor manifest: {exc}") from exc
    if lake_uri(manifest["export_dir"]):
        raise AuditorError(
            f"{out} audited a lake export ({manifest['export_dir']}): its tables are not hashed "
            "(that would read them all on this machine), so there is nothing to verify"
        )
    expected = {export_dir / i["file"]: i["sha256"] for i in inputs.values() if i}
    expected.update({Path(p): h for p, h in manifest.get("other_inputs", {}).items()})
    checks = []
    for path, digest in sorted(expected.items()):
        if not path.exists():
            checks.append(InputCheck(path, "missing"))
        else:
            checks.append(InputCheck(path, "same" if sha256_of(path) == digest else "changed"))
    return checks
