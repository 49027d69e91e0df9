"""PRODUCTION_GO_EVIDENCE.md: one page an auditor reads first, linking every file in the bundle.

Pure: text from the record and the contents index. Cells are escaped so a reason written by a
person cannot break the tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from trainmaster.evidence.contents import Contents, signals_of, train_events
from trainmaster.evidence.record import TrainRecord
from trainmaster.evidence.summary import summary_lines

REPORT = "PRODUCTION_GO_EVIDENCE.md"


def cell(value: object) -> str:
    text = utc(value) if isinstance(value, datetime) else str(value)
    return text.replace("|", "\\|").replace("\r", " ").replace("\n", " ") or "—"


def utc(moment: datetime) -> str:
    # SQLite hands datetimes back without a zone; the store writes them in UTC.
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def link(path: str) -> str:
    return f"[{path}]({path})"


def table(headers: list[str], rows: Iterable[list[object]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return lines


def render_report(
    record: TrainRecord,
    contents: Contents,
    *,
    built_at: str,
    signer: str | None,
    quorum: Mapping[str, int] | None = None,
) -> str:
    """`quorum`: approvals each stage's policy requires, for the summary's verdict."""
    t = record.train
    lines = [
        f"# PRODUCTION GO EVIDENCE — {t.id}",
        "",
        f"Built {built_at} by trainmaster. Every file below is listed with its SHA-256 in "
        f"{link('manifest.json')}; "
        + (
            f"the manifest is signed with Ed25519 key `{signer}` ({link('manifest.sig')}, "
            f"public key {link('signing-key.pub.pem')}: pin your own copy, not this one)."
            if signer
            else "**the manifest is not signed.**"
        ),
        "Check it with `trainmaster evidence verify BUNDLE --public-key KEY.pub.pem`.",
        "",
        *summary_lines(record, quorum or {}, len(contents.notices)),
        "## Release",
        *table(
            ["field", "value"],
            [
                ["train", t.id],
                ["kind", t.kind],
                ["version", t.version],
                ["state", t.state],
                ["branch", t.branch],
                ["tag", t.tag],
                ["commit", t.commit_sha],
                ["artifact digest", t.digest or "none recorded"],
                ["author", t.author],
                ["cut at", t.created_at],
                ["details", link("train.json")],
            ],
        ),
        "",
        "## Stages",
        *table(
            ["stage", "attempt", "state", "digest", "started", "updated"],
            [
                [r.stage, r.attempt, r.state, r.digest or "", r.started_at, r.updated_at]
                for r in record.stage_runs
            ],
        ),
        "",
        *_artifacts(contents),
        *_gates(record, contents),
        *_approvals(record),
        *_audit(record),
        *_gaps(contents),
    ]
    return "\n".join(lines).rstrip() + "\n"


def _artifacts(contents: Contents) -> list[str]:
    lines = ["## SBOM"]
    lines += [f"- {link(p)}: {s}" for p, s in contents.sbom] or ["- none provided"]
    lines += ["", "## Governance plan and drift at cut"]
    lines += [f"- {link(p)}" for p in contents.governance] or ["- none recorded"]
    lines += ["", "## Test reports"]
    lines += [f"- {link(p)}: {s}" for p, s in contents.tests] or ["- none provided"]
    lines += ["", "## Golden-signal charts"]
    lines += [f"- {name}: {link(p)}" for name, p in contents.moment_charts]
    lines += [f"- gate: {link(p)}" for p in contents.gate_charts.values()]
    if not contents.moment_charts and not contents.gate_charts:
        lines.append("- none: no metrics source and no points in the gate evidence")
    if contents.attachments:
        lines += ["", "## Other attachments", *[f"- {link(p)}" for p in contents.attachments]]
    return [*lines, ""]


def _gates(record: TrainRecord, contents: Contents) -> list[str]:
    rows: list[list[object]] = []
    for g in record.gates:
        signals = signals_of(g.evidence)
        detail = "; ".join(
            f"{s.get('name')}={s.get('verdict')} (value {s.get('value')}, threshold "
            f"{s.get('threshold')}{', ' + str(s['reason']) if s.get('reason') else ''})"
            for s in signals
        )
        files = link(contents.gate_files[g.id])
        if g.id in contents.gate_charts:
            files += " " + link(contents.gate_charts[g.id])
        rows.append([g.stage, g.gate, g.verdict.upper(), g.evaluated_at, detail, files])
    body = table(["stage", "gate", "verdict", "evaluated", "signals", "evidence"], rows)
    return ["## Gate verdicts", *(body if rows else ["- none recorded"]), ""]


def _approvals(record: TrainRecord) -> list[str]:
    rows: list[list[object]] = [
        [a.stage, a.approver, a.reason, a.digest, a.created_at, "yes" if a.revoked else "no"]
        for a in record.approvals
    ]
    body = table(["stage", "approver", "reason", "digest", "at", "revoked"], rows)
    return [
        "## Approvals",
        *(body if rows else ["- none recorded"]),
        "",
        f"Details: {link('approvals.json')}",
        "",
    ]


def _audit(record: TrainRecord) -> list[str]:
    excerpt = record.audit
    events = train_events(record)
    head = (
        f"Events {excerpt.events[0].seq}–{excerpt.events[-1].seq} of the chain, "
        f"{len(events)} of them about this train, in {link('audit/events.json')} "
        f"(the chain links to `{excerpt.start_prev[:16]}…`)."
        if excerpt.events
        else "No audit events recorded for this train."
    )
    rows: list[list[object]] = [
        [e["seq"], e["at"], e["actor"], e["action"], e["target"], e["reason"], e["hash"][:16]]
        for e in events
    ]
    body = table(["seq", "at", "who", "what", "target", "why", "hash"], rows) if rows else []
    return ["## Audit trail (who, what, why, when)", head, "", *body, ""]


def _gaps(contents: Contents) -> list[str]:
    if not contents.notices:
        return []
    return ["## Gaps and notices", *[f"- {cell(n)}" for n in contents.notices], ""]
