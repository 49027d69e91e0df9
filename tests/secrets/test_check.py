"""`secrets check` over seeded and clean repositories, history, logs, the allowlist and SARIF."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from tests.secrets.repo import (
    aws_secret,
    clean_repo,
    git,
    github_token,
    seeded_repo,
    slack_webhook,
    write,
)
from trainmaster.errors import UsageError
from trainmaster.evidence.secrets.scan import check_secrets

EXPECTED = {
    ("github-token", "app/settings.py", 1),
    ("aws-access-key-id", "scripts/aws.env", 1),
    ("aws-secret-access-key", "scripts/aws.env", 2),
    ("private-key", "keys/deploy_key", 1),
    ("slack-webhook", "scripts/notify.sh", 1),
    ("kubeconfig-credential", "ops/kubeconfig.yaml", 6),
    ("plain-secret", "deploy/prod/secrets/db.yaml", 1),
    ("secret-data", "k8s/cache-secret.yaml", 7),
    ("missing-kubeseal-cert", "deploy/dev", 0),
    ("credential-assignment", "config/payments.ini", 3),
    ("detect-secrets", "scripts/db.env", 1),
}


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seeded_repo(tmp_path_factory.mktemp("seeded"))


def test_seeded_repo_reports_each_problem_exactly_once(seeded: Path) -> None:
    result = check_secrets(seeded)
    got = Counter((f.rule, f.path, f.line) for f in result.findings)
    assert set(got) == EXPECTED, sorted(got)
    assert all(n == 1 for n in got.values())
    notices = {n.path: n.message for n in result.notices}
    assert "binary" in notices["assets/logo.png"]
    assert "larger than 5 MiB" in notices["data/huge.txt"]
    assert "invalid YAML" in notices["deploy/prod/broken.yaml"]


def test_clean_repo_reports_nothing(tmp_path: Path) -> None:
    result = check_secrets(clean_repo(tmp_path), with_history=True)
    assert result.findings == [] and result.notices == []
    assert result.files_scanned >= 7


def test_findings_never_carry_the_secret(seeded: Path) -> None:
    result = check_secrets(seeded)
    text = json.dumps([f.__dict__ for f in result.findings])
    for secret in (github_token(), aws_secret(), slack_webhook(), "BEGIN PRIVATE KEY"):
        assert secret not in text
    assert result.findings
    assert all(f.fingerprint.startswith("sha256:") for f in result.findings)


def test_history_finds_a_removed_secret_once_at_its_commit(tmp_path: Path) -> None:
    root = clean_repo(tmp_path)
    token = github_token("ghs")
    write(root, "ci/env.sh", f"export GH_TOKEN={token}\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "oops")
    write(root, "ci/env.sh", f"export GH_TOKEN={token}\necho more\n")
    git(root, "commit", "-q", "-am", "touch")
    write(root, "ci/env.sh", "export GH_TOKEN=${GH_TOKEN}\n")
    git(root, "commit", "-q", "-am", "remove the token")
    assert check_secrets(root).findings == []
    found = check_secrets(root, with_history=True).findings
    assert [(f.rule, f.path, f.line, f.source) for f in found] == [
        ("github-token", "ci/env.sh", 1, "history")
    ]
    first = next(c for c in _log(root) if c[1] == "oops")[0]
    assert found[0].commit == first


def _log(root: Path) -> list[tuple[str, str]]:
    import subprocess

    out = subprocess.run(
        ["git", "-C", str(root), "log", "--format=%H %s"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [tuple(line.split(" ", 1)) for line in out.splitlines()]  # type: ignore[misc]


def test_history_does_not_repeat_what_the_tree_reports(seeded: Path) -> None:
    tree = check_secrets(seeded)
    both = check_secrets(seeded, with_history=True)
    assert sorted((f.rule, f.path) for f in both.findings) == sorted(
        (f.rule, f.path) for f in tree.findings
    )


def test_ci_logs_are_scanned(tmp_path: Path) -> None:
    root = clean_repo(tmp_path / "repo")
    logs = tmp_path / "logs"
    write(
        logs,
        "build/1_test.txt",
        "2026-11-29T10:00:00Z Run tests\n"
        f"2026-11-29T10:00:01Z curl -H 'Authorization: token {github_token('gho')}'\n",
    )
    write(logs, "build/2_bin.log", b"\0\0binary")
    result = check_secrets(root, logs=[logs, tmp_path / "absent"])
    assert [(f.rule, f.line, f.source) for f in result.findings] == [("github-token", 2, "logs")]
    assert result.findings[0].path.endswith("build/1_test.txt")
    messages = " ".join(n.message for n in result.notices)
    assert "binary" in messages and "no such log" in messages


def test_allowlist_needs_a_reason_and_reports_stale_entries(seeded: Path, tmp_path: Path) -> None:
    fp = next(f.fingerprint for f in check_secrets(seeded).findings if f.rule == "github-token")
    allow = tmp_path / "allow.yaml"
    allow.write_text(
        f"- fingerprint: {fp}\n  reason: revoked fixture token\n"
        "- path: keys/*\n  rule: private-key\n  reason: throwaway test key\n"
        "- path: nowhere/*\n  reason: stale\n"
    )
    result = check_secrets(seeded, allowlist=allow)
    rules = {f.rule for f in result.findings}
    assert "github-token" not in rules and "private-key" not in rules
    assert {e.reason for _, e in result.allowed} == {"revoked fixture token", "throwaway test key"}
    assert any("line 6: entry matched nothing" in n.message for n in result.notices)
    allow.write_text(f"- fingerprint: {fp}\n")
    with pytest.raises(UsageError, match=r"allow.yaml:1: every allowlist entry needs a reason"):
        check_secrets(seeded, allowlist=allow)


def test_sealed_secret_with_wrong_api_or_kind_is_not_sealed(tmp_path: Path) -> None:
    root = clean_repo(tmp_path)
    write(
        root,
        "deploy/prod/secrets/old.yaml",
        "apiVersion: bitnami.com/v1beta9\n"
        "kind: SealedSecret\nmetadata:\n  name: old\nspec:\n  encryptedData: {}\n---\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
    )
    found = {(f.rule, f.line) for f in check_secrets(root).findings}
    assert found == {("not-sealed", 1), ("not-sealed", 8)}


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        check_secrets(tmp_path / "nope")


def test_certificates_are_found_by_environment_name(tmp_path: Path) -> None:
    from tests.secrets.repo import certificate_pem

    root = clean_repo(tmp_path)
    (root / "deploy/certs/stage.pem").unlink()
    write(root, ".sealed-secrets/kubeseal-stage.crt", certificate_pem())
    write(root, "certs/production.pem", "not a certificate")
    assert check_secrets(root).findings == []
    (root / ".sealed-secrets/kubeseal-stage.crt").unlink()
    found = [(f.rule, f.path) for f in check_secrets(root).findings]
    assert found == [("missing-kubeseal-cert", "deploy/stage")]


def test_unreadable_tracked_file_is_a_notice(tmp_path: Path) -> None:
    root = clean_repo(tmp_path)
    (root / "app/main.py").unlink()  # tracked, gone from the working tree
    result = check_secrets(root)
    assert result.findings == []
    assert [(n.path, n.message.split(" (")[0]) for n in result.notices] == [
        ("app/main.py", "unreadable")
    ]


def test_zipped_workflow_logs_are_scanned_per_step(tmp_path: Path) -> None:
    import zipfile

    root = clean_repo(tmp_path / "repo")
    logs = tmp_path / "run-42.zip"
    with zipfile.ZipFile(logs, "w") as bundle:
        bundle.writestr("build/1_Set up job.txt", "2026-11-29T10:00:00Z Starting\n")
        bundle.writestr("build/3_Notify.txt", f"curl {slack_webhook()}\n")
    found = check_secrets(root, logs=[logs]).findings
    assert [(f.rule, f.path.endswith("run-42.zip!build/3_Notify.txt"), f.line) for f in found] == [
        ("slack-webhook", True, 1)
    ]


def test_history_reports_a_plain_secret_that_was_later_sealed(tmp_path: Path) -> None:
    import base64

    from tests.secrets.repo import PLAIN_SECRET, sealed_secret

    root = clean_repo(tmp_path)
    value = base64.b64encode(b"Zq8#rT2!mW9@kL4$").decode()
    write(root, "deploy/prod/secrets/db.yaml", PLAIN_SECRET.format(value=value))
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "db secret")
    # Still in the tree: one layout finding, and history does not repeat the value.
    both = check_secrets(root, with_history=True).findings
    assert [(f.rule, f.source) for f in both] == [("plain-secret", "layout")]
    write(root, "deploy/prod/secrets/db.yaml", sealed_secret("db"))
    git(root, "commit", "-q", "-am", "seal it")
    assert check_secrets(root).findings == []
    found = check_secrets(root, with_history=True).findings
    assert [(f.rule, f.path, f.line, f.source) for f in found] == [
        ("secret-data", "deploy/prod/secrets/db.yaml", 7, "history")
    ]


def test_plain_secret_with_values_anywhere_under_deploy_is_reported_once(tmp_path: Path) -> None:
    import base64

    from tests.secrets.repo import PLAIN_SECRET

    root = clean_repo(tmp_path)
    value = base64.b64encode(b"Zq8#rT2!mW9@kL4$").decode()
    write(
        root,
        "deploy/stage/app.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"
        "---\n" + PLAIN_SECRET.format(value=value),
    )
    found = [(f.rule, f.path, f.line) for f in check_secrets(root).findings]
    assert found == [("plain-secret", "deploy/stage/app.yaml", 6)]
    assert "deploy/stage/" in check_secrets(root).findings[0].message


def test_history_reports_a_secret_moved_between_files_once(tmp_path: Path) -> None:
    root = clean_repo(tmp_path)
    token = github_token("ghu")
    write(root, "a.sh", f"T={token}\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "first")
    (root / "a.sh").unlink()
    write(root, "b.sh", f"export T={token}\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "moved")
    tree = check_secrets(root, with_history=True).findings
    assert [(f.path, f.source) for f in tree] == [("b.sh", "tree")]  # the tree copy covers it
    (root / "b.sh").unlink()
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "gone")
    found = check_secrets(root, with_history=True).findings
    assert [(f.rule, f.path, f.source) for f in found] == [("github-token", "a.sh", "history")]


def test_a_mangled_certificate_does_not_count(tmp_path: Path) -> None:
    root = clean_repo(tmp_path)
    cert = root / "deploy/prod/kubeseal.pem"
    cert.write_text(cert.read_text()[:120] + "\n-----END CERTIFICATE-----\n")
    found = [(f.rule, f.path) for f in check_secrets(root).findings]
    assert found == [("missing-kubeseal-cert", "deploy/prod")]


def test_monorepo_services_have_their_own_deploy_folders(tmp_path: Path) -> None:
    from tests.secrets.repo import sealed_secret

    root = clean_repo(tmp_path)
    write(root, "services/api/deploy/prod/secrets/api.yaml", sealed_secret("api"))
    write(
        root,
        "services/api/deploy/prod/secrets/raw.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: raw\n",
    )
    found = {(f.rule, f.path) for f in check_secrets(root).findings}
    # The prod certificate at deploy/prod/kubeseal.pem is named by the environment: it counts.
    assert found == {("plain-secret", "services/api/deploy/prod/secrets/raw.yaml")}
    write(root, "services/api/deploy/qa/secrets/api.yaml", sealed_secret("api"))
    found = {(f.rule, f.path) for f in check_secrets(root).findings}
    assert ("missing-kubeseal-cert", "services/api/deploy/qa") in found
