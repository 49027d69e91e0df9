"""What a person reads: one title and labelled lines per event, shared by Slack, Teams and email.
Purely computational."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

TITLES = {
    "train.scheduled": "Change announcement",
    "approval.requested": "Approval requested",
    "train.promoted": "Promoted",
    "train.rolled_back": "Rolled back",
    "gate.failed": "Gate failed",
    "train.released": "Released",
    "drift.detected": "Governance drift",
}


@dataclass(frozen=True)
class Summary:
    title: str
    fields: tuple[tuple[str, str], ...]
    text: str  # a longer body (announcement, release notes), markdown; may be empty
    link: str | None


def summarize(event: Mapping[str, Any]) -> Summary:
    data = event["data"]
    train = data.get("train") or {}
    where = f" to {data['stage']}" if data.get("stage") else ""
    name = f"{data.get('project', '')} {train.get('version', '')}".strip()
    title = f"{TITLES[event['type']]}: {name}{where}" if name else TITLES[event["type"]]
    fields = [("Train", f"{train['id']} ({train['lane']})")] if train else []
    fields += _FIELDS[event["type"]](data)
    text = ""
    if event["type"] == "train.scheduled":
        text = data["announcement"].get("text", "")
    elif event["type"] == "train.released":
        text = data.get("notes", "")
    return Summary(title, tuple((k, v) for k, v in fields if v), text, data.get("link"))


def _scheduled(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    a = data["announcement"]
    impact = ", ".join(f"{n} {k}" for k, n in a["impact"].items()) or "no user-facing changes"
    back = a["rollback"]["command"] + (
        f" (back to {a['rollback']['to_digest']})" if a["rollback"].get("to_digest") else ""
    )
    changes = [f"migration: {m['name']}" for m in a["migrations"]]
    changes += [f"flag: {f['name']}" for f in a["flags"]]
    return [
        ("Impact", f"{impact} ({a['commits']} commits)"),
        ("Risk & rollback", f"risk {a['risk']}; {back}"),
        ("Owner & on-call", " · ".join(x for x in (a["owner"], a["pager"]) if x) or "unassigned"),
        ("Migrations & flags", "; ".join(changes) or "none"),
    ]


def _approval(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    a = data["approval"]
    who = ", ".join(a["who_may_approve"]) if a["who_may_approve"] else "anyone but the author"
    gates = ", ".join(f"{g} {v}" for g, v in data["gates"].items())
    return [
        ("Missing", f"{a['missing']} of {a['quorum']} approvals"),
        ("Approved by", ", ".join(a["approved_by"])),
        ("Who may approve", who),
        ("Gates", gates),
    ]


def _promoted(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [("Digest", str(data.get("digest") or "")), ("By", str(data.get("promoted_by", "")))]


def _rolled_back(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    r = data["rollback"]
    criterion = ""
    if r.get("criterion"):
        criterion = f"{r['criterion']}: {r.get('value')} against threshold {r.get('threshold')}"
    return [
        ("Criterion", criterion),
        ("Why", str(r.get("why") or "")),
        ("Now serving", str(r.get("serving_digest") or "the previous revision")),
        ("Rolled back", str(r.get("from_digest") or "")),
    ]


def _gate_failed(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [(g["name"], str(g.get("reason") or g.get("verdict"))) for g in data["failing"]]


def _released(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [("Digest", str((data.get("train") or {}).get("digest") or ""))]


def _drift(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [("Repositories", ", ".join(data["drift"]["repos"]))]


_FIELDS = {
    "train.scheduled": _scheduled,
    "approval.requested": _approval,
    "train.promoted": _promoted,
    "train.rolled_back": _rolled_back,
    "gate.failed": _gate_failed,
    "train.released": _released,
    "drift.detected": _drift,
}


def plain(summary: Summary) -> str:
    lines = [summary.title, ""]
    lines += [f"{k}: {v}" for k, v in summary.fields]
    if summary.text:
        lines += ["", summary.text.strip()]
    if summary.link:
        lines += ["", summary.link]
    return "\n".join(lines) + "\n"
