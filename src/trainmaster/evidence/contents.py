"""What goes into a bundle: each item of evidence as a file, with what the report says about it.

Reads nothing but the `TrainRecord`, the caller's files and (optionally) the metrics port; a
missing or unreadable item becomes a notice in the report, never a crash: an auditor must see the
gap, not a stack trace.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trainmaster.errors import TrainmasterError
from trainmaster.evidence import junit, sbom
from trainmaster.evidence.record import TrainRecord, belongs_to

MAX_EXTRA_BYTES = 100 * 1024 * 1024


@dataclass
class Contents:
    files: dict[str, bytes] = field(default_factory=dict)
    sbom: list[tuple[str, str]] = field(default_factory=list)  # (path, summary)
    governance: list[str] = field(default_factory=list)
    tests: list[tuple[str, str]] = field(default_factory=list)
    gate_files: dict[int, str] = field(default_factory=dict)  # gate result id -> path
    gate_charts: dict[int, str] = field(default_factory=dict)
    moment_charts: list[tuple[str, str]] = field(default_factory=list)  # (moment, path)
    attachments: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    def unused(self, path: str) -> str:
        """`path`, or `stem-2.ext`, `stem-3.ext`… when two inputs share a file name."""
        stem, dot, ext = path.rpartition(".") if "." in path.rsplit("/", 1)[-1] else (path, "", "")
        candidate, n = path, 2
        while candidate in self.files:
            candidate, n = f"{stem}-{n}{dot}{ext}", n + 1
        return candidate

    def add_json(self, path: str, value: Any) -> str:
        self.files[path] = (
            json.dumps(value, indent=2, sort_keys=True, default=str) + "\n"
        ).encode()
        return path


def signals_of(evidence: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A gate's signals: `{"signals": [...]}` for a whole report, or one signal stored alone."""
    listed = evidence.get("signals")
    if isinstance(listed, list):
        return [s for s in listed if isinstance(s, dict)]
    if "name" in evidence and "verdict" in evidence:
        return [dict(evidence)]
    return []


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "x"


def record_files(record: TrainRecord, contents: Contents) -> None:
    """The store's facts: the train, its stage runs, gate results, approvals, audit excerpt."""
    t = record.train
    contents.add_json(
        "train.json", {**t.__dict__, "stage_runs": [r.__dict__ for r in record.stage_runs]}
    )
    for gate in record.gates:
        name = f"gates/{slug(gate.stage)}-{slug(gate.gate)}-{gate.id}.json"
        contents.gate_files[gate.id] = contents.add_json(
            name,
            {
                "stage": gate.stage,
                "gate": gate.gate,
                "verdict": gate.verdict,
                "digest": gate.digest,
                "evaluated_at": gate.evaluated_at,
                "evidence": gate.evidence,
            },
        )
    contents.add_json("approvals.json", [a.__dict__ for a in record.approvals])
    excerpt = record.audit
    # The audit excerpt keeps each event exactly as hashed: payload stays canonical JSON text.
    body = {
        "start_prev": excerpt.start_prev,
        "train_seqs": sorted(excerpt.train_seqs),
        "events": [{**e.body(), "hash": e.hash} for e in excerpt.events],
    }
    text = json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False)  # re-parsed to verify
    contents.files["audit/events.json"] = (text + "\n").encode()
    if not excerpt.events:
        contents.notices.append("the store holds no audit events for this train")
    governance = {k: v for k, v in t.data.items() if "governance" in k or "drift" in k}
    if governance:
        contents.governance.append(contents.add_json("governance/at-cut.json", governance))
    if record.governance:
        applied = [e.as_dict() for e in record.governance]
        contents.governance.append(contents.add_json("governance/applied-before-cut.json", applied))


def extra_files(files: Mapping[str, Path], contents: Contents) -> None:
    """Caller's files by bundle name. `sbom/…`, `tests/…` and `governance/…` say what a file is;
    other names are recognized by content (CycloneDX JSON, JUnit XML) or kept as attachments.
    A `#…` suffix only keeps two same-named inputs apart; they become `name-2.ext`."""
    for key, source in sorted(files.items()):
        name = key.split("#", 1)[0]
        data = _read(source, contents)
        if data is None:
            continue
        parts = [slug(p) for p in Path(name).parts if p not in ("", ".", "..", "/")]
        kind = parts[0] if len(parts) > 1 and parts[0] in ("sbom", "tests", "governance") else ""
        base = parts[-1] if parts else slug(source.name)
        kind = kind or _kind_by_content(data)
        add_classified(kind, base, data, str(source), contents)


def add_classified(kind: str, base: str, data: bytes, source: str, contents: Contents) -> None:
    folder = kind if kind in ("sbom", "tests", "governance") else "attachments"
    path = contents.unused(f"{folder}/{base}")
    if kind == "sbom":
        try:
            summary = sbom.summarize(data, source)
        except TrainmasterError as e:  # a bad SBOM is a gap in the evidence, not a crash
            contents.notices.append(str(e))
            return
        contents.sbom.append(
            (path, f"CycloneDX {summary.spec_version}, {summary.components} components")
        )
    elif kind == "tests":
        contents.tests.append((path, _test_summary(data, source, contents)))
    elif kind == "governance":
        contents.governance.append(path)
    else:
        contents.attachments.append(path)
    contents.files[path] = data


def _test_summary(data: bytes, source: str, contents: Contents) -> str:
    result = junit.summarize(data)
    if result is None:
        contents.notices.append(f"{source}: not JUnit XML; included as is")
        return "not JUnit XML"
    verdict = "passed" if result.passed else "FAILED"
    return (
        f"{result.tests} tests, {result.failures} failures, {result.errors} errors, "
        f"{result.skipped} skipped: {verdict}"
    )


def _kind_by_content(data: bytes) -> str:
    head = data[:4096].lstrip()
    if head.startswith(b"{") and b'"bomFormat"' in data[:65536]:
        return "sbom"
    if head.startswith(b"<") and (b"<testsuite" in head):
        return "tests"
    return ""


def _read(source: Path, contents: Contents) -> bytes | None:
    try:
        if source.stat().st_size > MAX_EXTRA_BYTES:
            contents.notices.append(f"{source}: larger than 100 MiB; not included")
            return None
        return source.read_bytes()
    except OSError as e:
        contents.notices.append(f"{source}: cannot read ({e.strerror}); not included")
        return None


def train_events(record: TrainRecord) -> list[dict[str, Any]]:
    return [e.as_dict() for e in record.audit.events if belongs_to(e.target, record.train.id)]
