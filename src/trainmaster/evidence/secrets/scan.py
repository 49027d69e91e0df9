"""`secrets check`: layout, working tree, CI logs and (optionally) git history, each problem once.

Reading is in sources.py, judging in patterns/structure/layout/engine; this module combines them
and removes duplicates: a line a structural finding claimed is not reported again, our own
formats win over detect-secrets on the same line, and a secret found in the tree is not reported
again from history.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from trainmaster.errors import UsageError
from trainmaster.evidence.secrets import layout, patterns
from trainmaster.evidence.secrets.allowlist import DEFAULT_NAME, Entry, apply_allowlist
from trainmaster.evidence.secrets.allowlist import load_allowlist as _load
from trainmaster.evidence.secrets.engine import engine, scan_lines
from trainmaster.evidence.secrets.findings import RULES, Finding, Notice, Source, fingerprint
from trainmaster.evidence.secrets.sources import (
    MAX_FILE_BYTES,
    Text,
    history,
    log_files,
    read_text,
    tree_files,
)
from trainmaster.evidence.secrets.structure import inspect_yaml, secrets_dir

YAML_SUFFIXES = (".yaml", ".yml")


@dataclass
class ScanResult:
    findings: list[Finding] = field(default_factory=list)
    allowed: list[tuple[Finding, Entry]] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    files_scanned: int = 0


def check_secrets(
    root: Path,
    *,
    logs: Sequence[Path] = (),
    with_history: bool = False,
    allowlist: Path | None = None,
) -> ScanResult:
    if not root.exists():
        raise UsageError(f"{root}: no such file or folder")
    result = ScanResult()
    base, files = (root.parent, [root.name]) if root.is_file() else (root, [])
    files = files or tree_files(base, result.notices)
    cache: dict[str, str | None] = {}

    def read(path: str) -> str | None:
        if path not in cache:
            cache[path] = read_text(base / path, path, result.notices, MAX_FILE_BYTES)
        return cache[path]

    found: list[Finding] = []
    covered: set[tuple[str, str]] = set()  # (path, fingerprint) inside tree layout findings
    with engine():
        for path in files:
            text = read(path)
            if text is not None:
                result.files_scanned += 1
                found += scan_text(Text(path, text), "tree", result.notices, covered)
        found += layout.missing_certificates(files, read)
        for log in log_files(list(logs), result.notices):
            result.files_scanned += 1
            found += scan_text(log, "logs", result.notices)
        if with_history:
            found += _history(base, found, covered, result.notices)
    entries = _entries(base, allowlist)
    found.sort(key=lambda f: (f.source in ("history", "logs"), f.source, f.path, f.line))
    result.findings, result.allowed, unused = apply_allowlist(found, entries)
    result.notices += [
        Notice(str(allowlist or DEFAULT_NAME), f"line {e.line}: entry matched nothing; remove it")
        for e in unused
    ]
    return result


def scan_text(
    item: Text,
    source: Source,
    notices: list[Notice],
    covered: set[tuple[str, str]] | None = None,
) -> list[Finding]:
    """Findings in one text: structure (YAML), our formats, then detect-secrets. `covered`
    collects the values that a layout finding reports as a whole."""
    # Split on "\n" only: line numbers then match git, editors and SARIF viewers.
    lines = (
        item.lines
        if item.lines is not None
        else tuple(enumerate((line.removesuffix("\r") for line in item.text.split("\n")), start=1))
    )
    findings: list[Finding] = []
    claimed: set[int] = set()
    if item.path.endswith(YAML_SUFFIXES) or (
        secrets_dir(item.path) and item.path.endswith(".json")
    ):
        findings, claimed, values = _structure(item, lines, notices)
        if covered is not None:
            covered.update((item.path, fp) for fp in values)
    seen: set[tuple[int, str]] = set()
    own_lines: set[int] = set()
    text = "\n".join(line for _, line in lines)
    starts = patterns.line_starts(text)
    for hit in _own_hits(lines, text, starts):
        if hit.line in claimed or (hit.line, hit.secret) in seen:
            continue
        seen.add((hit.line, hit.secret))
        own_lines.add(hit.line)
        findings.append(
            _finding(item, source, hit.rule, hit.line, hit.secret, RULES[hit.rule].title)
        )
    engine_hits = scan_lines(item.path, lines, text, starts)
    by_number = dict(lines) if engine_hits else {}
    for engine_hit in engine_hits:
        key = (engine_hit.line, engine_hit.secret)
        if engine_hit.line in claimed or engine_hit.line in own_lines or key in seen:
            continue
        if not _credible(engine_hit.type, engine_hit.secret, by_number.get(engine_hit.line, "")):
            continue
        seen.add(key)
        findings.append(
            _finding(
                item,
                source,
                "detect-secrets",
                engine_hit.line,
                engine_hit.secret,
                f"{engine_hit.type} (detect-secrets)",
                engine_hit.type,
            )
        )
    return findings


def _structure(
    item: Text, lines: Sequence[tuple[int, str]], notices: list[Notice]
) -> tuple[list[Finding], set[int], set[str]]:
    """YAML structure of a file, or of the lines a commit added (a new file is added whole)."""
    if item.lines is None:
        structure = inspect_yaml(item.path, item.text)
        if structure.error:
            notices.append(Notice(item.path, structure.error))
        return structure.findings, structure.claimed, structure.covered
    structure = inspect_yaml(item.path, "\n".join(text for _, text in lines), layout=False)
    if structure.error:
        return [], set(), set()  # a partial diff of YAML rarely parses; line checks still apply
    real = {i: number for i, (number, _) in enumerate(lines, start=1)}
    found = [
        dataclasses.replace(f, line=real.get(f.line, f.line), source="history", commit=item.commit)
        for f in structure.findings
    ]
    return found, {real[i] for i in structure.claimed if i in real}, set()


def _credible(kind: str, secret: str, line: str) -> bool:
    """Drop detect-secrets hits our own rules judge better: PEM blocks (we require a body, not a
    mention of the header), kubeseal ciphertext, documentation placeholders (AWS's EXAMPLE keys,
    `${VAR}`), and keyword or URL passwords that are a plain word (`"imagePullSecrets": "name"`,
    `user:password@`), contain a space, name a credential rather than hold it
    (`secret_name = my-app-secret-v2`), or log in to a documentation or loopback host."""
    if kind == "Private Key" and "BEGIN" in secret:
        return False
    if patterns.is_sealed_ciphertext(secret) or patterns.PLACEHOLDER.search(secret):
        return False
    if kind not in ("Secret Keyword", "Basic Auth Credentials"):
        return True
    plain = unquote(secret)
    if patterns.IDENTIFIER.fullmatch(plain) or " " in plain:
        return False
    if kind == "Basic Auth Credentials":
        return patterns.DOCUMENTATION_HOST.search(line) is None
    return not patterns.names_not_a_value(line, secret)


def _own_hits(lines: Sequence[tuple[int, str]], text: str, starts: list[int]) -> list[patterns.Hit]:
    """Our formats; hit lines count from 1 within `text`, mapped back to the real numbers."""
    hits = [
        patterns.Hit(hit.rule, hit.secret, lines[hit.line - 1][0])
        for hit in patterns.match_text(text, starts)
    ]
    return sorted(hits, key=lambda h: h.line)


def _finding(
    item: Text,
    source: Source,
    rule: str,
    line: int,
    secret: str,
    what: str,
    detector: str | None = None,
) -> Finding:
    where = f" in commit {item.commit[:12]}" if item.commit else ""
    return Finding(
        rule,
        item.path,
        line,
        fingerprint(secret),
        f"{what} in plaintext{where}",
        source=source,
        commit=item.commit,
        detector=detector,
    )


def _history(
    root: Path, current: list[Finding], covered: set[tuple[str, str]], notices: list[Notice]
) -> list[Finding]:
    """Each secret once: at the oldest commit that added it (in whichever file), unless it is
    still in the tree — rotating it fixes every copy."""
    in_tree = {f.fingerprint for f in current} | {fp for _, fp in covered}
    oldest: dict[str, Finding] = {}
    for item in history(root, notices):
        for finding in scan_text(item, "history", notices):
            if finding.fingerprint not in in_tree:
                # git log lists newest first: the last one seen is the oldest.
                oldest[finding.fingerprint] = finding
    return list(oldest.values())


def _entries(root: Path, allowlist: Path | None) -> list[Entry]:
    if allowlist is not None:
        return _load(allowlist)
    default = root / DEFAULT_NAME
    return _load(default) if default.is_file() else []
