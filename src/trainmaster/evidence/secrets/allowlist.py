"""The allowlist: known, accepted findings, each with a reason an auditor can read.

```yaml
- fingerprint: sha256:0123456789abcdef0123   # the finding's fingerprint, or
  path: tests/fixtures/**                      # a path glob, optionally with
  rule: private-key                            # a rule id
  reason: revoked test key used by the fixtures
```
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

import yaml

from trainmaster.errors import UsageError
from trainmaster.evidence.secrets.findings import RULES, Finding

DEFAULT_NAME = ".secrets-allowlist.yaml"


@dataclass(frozen=True)
class Entry:
    reason: str
    line: int
    fingerprint: str | None = None
    path: str | None = None
    rule: str | None = None

    def covers(self, finding: Finding) -> bool:
        if self.fingerprint and self.fingerprint != finding.fingerprint:
            return False
        if self.path and not fnmatchcase(finding.path, self.path):
            return False
        return not (self.rule and self.rule != finding.rule)


def load_allowlist(path: Path) -> list[Entry]:
    """Entries of `path`; UsageError naming file:line for an entry without a reason."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise UsageError(f"{path}: cannot read the allowlist ({e.strerror})") from e
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as e:
        raise UsageError(f"{path}: invalid YAML: {str(e).splitlines()[0]}") from e
    if root is None:
        return []
    if not isinstance(root, yaml.SequenceNode):
        raise UsageError(f"{path}:1: the allowlist is a list of entries")
    return [_entry(path, node) for node in root.value]


def _entry(path: Path, node: yaml.Node) -> Entry:
    line = node.start_mark.line + 1
    where = f"{path}:{line}"
    if not isinstance(node, yaml.MappingNode):
        raise UsageError(f"{where}: an entry is a mapping with a reason")
    fields = {
        k.value: v.value
        for k, v in node.value
        if isinstance(k, yaml.ScalarNode) and isinstance(v, yaml.ScalarNode)
    }
    unknown = set(fields) - {"fingerprint", "path", "rule", "reason"}
    if unknown:
        raise UsageError(f"{where}: unknown field {sorted(unknown)[0]!r}")
    reason = str(fields.get("reason") or "").strip()
    if not reason:
        raise UsageError(f"{where}: every allowlist entry needs a reason")
    if not fields.get("fingerprint") and not fields.get("path"):
        raise UsageError(f"{where}: an entry names a fingerprint or a path")
    rule = fields.get("rule")
    if rule and rule not in RULES:
        raise UsageError(f"{where}: unknown rule {rule!r}; known: {', '.join(sorted(RULES))}")
    return Entry(reason, line, fields.get("fingerprint"), fields.get("path"), rule)


def apply_allowlist(
    findings: list[Finding], entries: list[Entry]
) -> tuple[list[Finding], list[tuple[Finding, Entry]], list[Entry]]:
    """(still reported, allowed with their entry, entries that matched nothing)."""
    kept: list[Finding] = []
    allowed: list[tuple[Finding, Entry]] = []
    used: set[int] = set()
    for finding in findings:
        entry = next((e for e in entries if e.covers(finding)), None)
        if entry is None:
            kept.append(finding)
        else:
            allowed.append((finding, entry))
            used.add(entry.line)
    return kept, allowed, [e for e in entries if e.line not in used]
