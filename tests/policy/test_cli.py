"""`authz check`, `authz test`, and a refusal through the CLI: exit 5, one line, nothing
changed, `authz.refused` on the audit record."""

from __future__ import annotations

import json
from pathlib import Path

from tests.policy.conftest import write_policy
from tests.train.fakes import git
from trainmaster.audit import AuditLog
from trainmaster.store import open_store

REASON = "p95 regression after the deploy"


def audit_events(tmp_path: Path) -> list:  # type: ignore[type-arg]
    store = open_store("sqlite:///.trainmaster/state.db", tmp_path)
    try:
        return list(AuditLog(store).events())
    finally:
        store.dispose()


def test_check_explains_a_decision(cli, project, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    allowed = cli("--json", "--actor", "zoe", "authz", "check", "--action", "rollback",
                  "--stage", "prod", "--reason", REASON)  # fmt: skip
    assert allowed.code == 0, allowed.err
    assert json.loads(allowed.out) == {
        "allow": True, "reasons": [], "actor": "zoe", "action": "rollback", "target": "-",
        "reason": REASON, "stage": "prod", "attributes": {},
    }  # fmt: skip
    refused = cli("--actor", "zoe", "authz", "check", "--action", "rollback")
    assert refused.code == 5
    assert "rollback is a risky action" in refused.out
    assert cli("authz", "check", "--action", "rollbak").code == 2
    assert not (tmp_path / ".trainmaster").exists()  # explaining records nothing


def test_an_outsider_is_refused_and_nothing_changes(cli, project, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write_policy(tmp_path, captains=["ana"])
    tags, branches = git(tmp_path, "tag"), git(tmp_path, "branch")
    refused = cli("--actor", "eve", "train", "cut")
    assert refused.code == 5
    assert refused.err.strip() == (
        "error: refused: eve may not train.cut train/next: "
        "not a member of a role that may train.cut (Release Captain)"
    )
    assert (git(tmp_path, "tag"), git(tmp_path, "branch")) == (tags, branches)
    assert cli("--json", "train", "list").out.strip() == "[]"
    [event] = audit_events(tmp_path)
    assert (event.actor, event.action, event.target) == ("eve", "authz.refused", "train/next")
    payload = json.loads(event.payload) if isinstance(event.payload, str) else event.payload
    assert payload["action"] == "train.cut"
    assert payload["reasons"] == ["not a member of a role that may train.cut (Release Captain)"]
    assert cli("--actor", "Ana", "train", "cut").code == 0
    assert "v1.1.0" in git(tmp_path, "tag")
    assert cli("audit", "verify").code == 0


def test_a_risky_action_without_a_reason_is_refused_and_audited(
    cli, project, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    refused = cli("--actor", "zoe", "rollback", "--env", "prod", "--reason", "")
    assert refused.code == 5
    assert "say why with --reason" in refused.err
    assert project.calls == []
    [event] = audit_events(tmp_path)
    assert (event.action, event.target, event.reason) == ("authz.refused", "stage/prod", "")


def test_bad_rego_is_one_line_naming_the_file_exit_2(cli, project, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "authz.rego").write_text("package trainmaster.authz\n\ndeny contains x if {{\n")
    write_policy(tmp_path, authorization="\nauthorization:\n  modules: [authz.rego]\n")
    result = cli("--actor", "zoe", "rollback", "--env", "prod", "--reason", REASON)
    assert result.code == 2
    [line] = result.err.strip().splitlines()
    assert line.startswith(f"error: {tmp_path / 'authz.rego'}:3:")
    assert "Rego parse error" in line
    assert result.out == ""  # regopy's own report never reaches stdout
    assert project.calls == []


def test_authz_test_runs_the_bundle_and_the_policy_tests(cli, project, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "authz").mkdir()
    (tmp_path / "authz" / "mine_test.rego").write_text(
        "package mine_test\n\nimport rego.v1\n\nimport data.trainmaster.authz\n\n"
        'test_cut_is_open if {\n\tcount(authz.deny) == 0 with input.action as "train.cut"\n}\n\n'
        'test_fails if {\n\tcount(authz.deny) == 1 with input.action as "train.cut"\n}\n'
    )
    write_policy(tmp_path, authorization="\nauthorization:\n  modules: [authz]\n")
    result = cli("--json", "authz", "test")
    assert result.code == 1
    doc = json.loads(result.out)
    outcome = {t["test"].rsplit(".", 1)[1]: t["passed"] for t in doc["tests"]}
    assert outcome["test_cut_is_open"] and not outcome["test_fails"]
    assert outcome["test_a_risky_action_without_a_reason_is_refused"]
    assert doc["failed"] == 1


def test_authz_test_names_a_construct_that_crashes_regopy(cli, project, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "crash_test.rego").write_text(
        "package crash_test\n\nimport rego.v1\n\nimport data.trainmaster.authz\n\n"
        'test_whole_input if {\n\tcount(authz.deny) == 0 with input as {"action": "train.cut"}\n}\n'
    )
    write_policy(tmp_path, authorization="\nauthorization:\n  modules: [crash_test.rego]\n")
    result = cli("authz", "test")
    assert result.code == 2
    [line] = result.err.strip().splitlines()
    assert line.startswith(f"error: {tmp_path / 'crash_test.rego'}:8:")
    assert "`with input as …` crashes regopy" in line
