"""A generated git history with every commit form the notes read, built with `git fast-import`.

Deterministic (fixed names, dates and seed), so its commit ids and therefore the notes' bytes are
the same on every machine. Big enough (~1.5 MiB of `git log` output) that the streamed reader
crosses its chunk boundaries mid-commit.
"""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

AUTHORS = (
    ("Ada Lovelace", "ada@example.com"),
    ("Bo Ek", "bo@example.com"),
    ("renovate[bot]", "29139614+renovate[bot]@users.noreply.github.com"),
    ("Zoë Ü & Co", "zoe@example.com"),
)
# Every subject and body shape the parser distinguishes (a "{n}" becomes a running number).
FORMS: tuple[str, ...] = (
    "feat: add thing {n}",
    "feat(api): orders endpoint {n} (#{n})",
    "fix: empty carts {n} (#{n}) (#{m})",
    "fix(ui)!: drop old dialog {n}",
    "perf(db): faster search {n}",
    "refactor: tidy {n}",
    "chore(deps): update dependency x to v{n} (#{n})",
    "chore: release {n}",
    "docs: explain {n}",
    "ci: cache {n}",
    "build(deps-dev): bump y {n}",
    "style: format {n}",
    "test: cover {n}",
    "revert: feat: shiny {n}",
    'Revert "feat: shiny {n}"',
    'Revert "fix: crash {n} (#{m})"',
    "Merge pull request #{n} from acme/topic-{n}\n\nAdd things",
    "Merge branch 'main' into topic-{n}",
    "Update README for {n}",
    "wip: half done {n}",
    "wip(core): scoped unknown type {n}",
    "Feat: capitalised type {n}",
    "FIX(API): shouting {n}",
    "feat!: new auth {n}\n\nBREAKING CHANGE: tokens expire\n  after one hour\nRefs #{n}",
    "fix: tokens {n}\n\nLonger body.\n\nBREAKING-CHANGE: also breaks {n}",
    "feat: checkout {n}\n\nFlag: new-checkout default off -> on\nMigration: 00{n}_orders",
    "feat(migrations): add column {n}",
    "revert(migration): undo column {n}",
    "fix: with co-authors {n}\n\nCo-authored-by: Cy Twombly <cy@example.com>\n"
    "Co-authored-by: Ada Lovelace <ada@example.com>",
    "feat: feature flag {n}\n\nfeature-flag: fast-path {n}\nflag-default: on",
    "fix: <escape> & slack * _ ~ `{n}`",
    "feat(a b): spaced scope {n}",
    "fix(): empty scope {n}",
    "feat:no space {n}",
    "fix: windows line ends {n}\r\n\r\nCloses #{n}\r\n",
    "feat: Ünïcödé ✓ {n} — dash",
    "fix: fixes #{n} in the subject and #{m}",
    "fix: body only paragraphs {n}\n\nFirst paragraph: not a footer\nstill body\n\n"
    "Reviewed-by: Bo Ek\nSigned-off-by: Ada Lovelace <ada@example.com>",
    "db-migration: odd type {n}\n\ndb-migration: 00{n}_x",
    "feat: long body {n}\n\n" + "lorem ipsum dolor sit amet " * 300,
    "fix(deps): update a lot {n}\n\n"
    + "".join(f"| dep-{i} | `1.{i}.0` -> `1.{i}.1` | key: value |\n" for i in range(120))
    + "\nCo-authored-by: renovate[bot] <bot@example.com>",
)
LATIN1 = b"fix: latin-1 bytes caf\xe9 {n}"  # not UTF-8: git passes it through, we replace


def build_history(path: Path, commits: int = 2400, seed: int = 16) -> Path:
    """A repository at `path` with `commits` commits, tags v1.0.0 (a quarter in) and v1.1.0
    (near the end, so `last tag..HEAD` is a short range), and a merge every 50 commits."""
    path.mkdir(parents=True, exist_ok=True)
    _git(path, "init", "-q", "-b", "main")
    rng = random.Random(seed)
    stream = bytearray()
    for n in range(1, commits + 1):
        stream += _commit(n, rng)
        if n == commits // 4:
            stream += f"reset refs/tags/v1.0.0\nfrom :{n}\n\n".encode()
        if n == commits - 30:
            stream += f"reset refs/tags/v1.1.0\nfrom :{n}\n\n".encode()
    subprocess.run(["git", "fast-import", "--quiet"], cwd=path, input=bytes(stream), check=True)
    return path


def _commit(n: int, rng: random.Random) -> bytes:
    name, email = AUTHORS[rng.randrange(len(AUTHORS))]
    message = _message(n, rng)
    when = 1_700_000_000 + n * 600
    branch = "side" if n % 50 == 49 else "main"
    head = [
        f"commit refs/heads/{branch}",
        f"mark :{n}",
        f"author {name} <{email}> {when} +0100",
        f"committer {name} <{email}> {when} +0100",
        f"data {len(message)}",
    ]
    out = ("\n".join(head) + "\n").encode() + message + b"\n"
    if n % 50 == 0:  # a merge of the side commit made just before into main
        out += f"from :{n - 2}\nmerge :{n - 1}\n".encode()
    elif n > 1:
        out += f"from :{n - 1}\n".encode()
    return out + b"\n"


def _message(n: int, rng: random.Random) -> bytes:
    if rng.random() < 0.01:
        return LATIN1.replace(b"{n}", str(n).encode())
    form = FORMS[rng.randrange(len(FORMS))]
    return form.format(n=n, m=n + 1000).encode()


def _git(path: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=path, check=True, capture_output=True)
