"""The SBOM: the CycloneDX JSON file CI produced, or one made with `cyclonedx-py environment`."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from trainmaster.errors import ExternalError, UsageError

GENERATE_TIMEOUT = 300.0  # seconds; cyclonedx-py reads every installed distribution's metadata


@dataclass(frozen=True)
class SbomSummary:
    spec_version: str
    components: int
    serial: str | None


def summarize(data: bytes, source: str) -> SbomSummary:
    """Check that `data` is CycloneDX JSON and say what it holds; UsageError otherwise."""
    try:
        body = json.loads(data)
    except ValueError as e:
        raise UsageError(f"{source}: the SBOM is not JSON ({e})") from e
    if not isinstance(body, dict) or body.get("bomFormat") != "CycloneDX":
        raise UsageError(f"{source}: not a CycloneDX SBOM (no bomFormat: CycloneDX)")
    components = body.get("components")
    return SbomSummary(
        spec_version=str(body.get("specVersion", "?")),
        components=len(components) if isinstance(components, list) else 0,
        serial=body.get("serialNumber") if isinstance(body.get("serialNumber"), str) else None,
    )


def generate(python: Path) -> bytes:
    """CycloneDX JSON for the packages installed in `python`'s environment."""
    command = [
        sys.executable,
        "-m",
        "cyclonedx_py",
        "environment",
        str(python),
        "--output-format",
        "JSON",
        "--output-file",
        "-",
    ]
    try:
        done = subprocess.run(command, capture_output=True, timeout=GENERATE_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise ExternalError(f"cyclonedx-py: {e}") from e
    if done.returncode != 0:
        last = (done.stderr.decode("utf-8", "replace").strip().splitlines() or ["failed"])[-1]
        raise ExternalError(f"cyclonedx-py environment {python}: {last}")
    return done.stdout
