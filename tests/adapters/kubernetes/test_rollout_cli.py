"""Deploy → promote → undo → pin through the CLI and lightkube against the emulator: the requests
are the kubectl plugin's, the stored objects stay schema-valid, every action is audited."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.emulators.kubernetes.fixtures import GOOD, NEXT, THIRD, Cluster
from trainmaster.config.seed import seed_policy_text

RO = "/apis/argoproj.io/v1alpha1/namespaces/maestro/rollouts/maestro"


@pytest.fixture
def policy(tmp_path: Path, k8s: Cluster) -> Path:
    text = seed_policy_text("acme", "maestro").replace("forge: github", "forge: none")
    text = text.replace("\nbackends:\n", f"\nbackends:\n  kubeconfig: {k8s.kubeconfig}\n")
    path = tmp_path / "trainmaster.yaml"
    path.write_text(text)
    return path


def _writes(k8s: Cluster) -> list[tuple[str, str, str, object]]:
    return [(r.method, r.path, r.content_type, r.body) for r in k8s.emulator.writes()]


def test_deploy_promote_undo_pin_send_the_plugins_requests(cli, k8s: Cluster, policy: Path):
    k8s.rollout("maestro")
    assert cli("rollout", "deploy", NEXT, "--ns", "maestro", "--reason", "train 1.4").code == 0
    ((method, path, ctype, body),) = _writes(k8s)
    assert (method, path, ctype) == ("PUT", RO, "application/json")  # set image: an Update
    assert body["spec"]["template"]["spec"]["containers"][0]["image"] == NEXT
    assert body["metadata"]["resourceVersion"]
    assert k8s.emulator.rollout("maestro", "maestro")["status"]["phase"] == "Paused"

    k8s.emulator.requests.clear()
    assert cli("rollout", "promote", "--ns", "maestro", "--reason", "release drill").code == 0
    assert _writes(k8s) == [
        ("PATCH", RO + "/status", "application/merge-patch+json",
         {"status": {"pauseConditions": None}}),
    ]  # fmt: skip
    status = k8s.emulator.rollout("maestro", "maestro")["status"]
    assert status["phase"] == "Healthy" and status["stableRS"] == status["currentPodHash"]

    k8s.emulator.requests.clear()
    result = cli("rollout", "undo", "--ns", "maestro", "--reason", "p95 over 1.5s")
    assert result.code == 0, result.err
    undo, full = _writes(k8s)
    assert undo[:3] == ("PATCH", RO, "application/json-patch+json")
    (op,) = undo[3]
    assert (op["op"], op["path"]) == ("replace", "/spec/template")
    assert op["value"]["spec"]["containers"][0]["image"] == GOOD
    assert "rollouts-pod-template-hash" not in op["value"]["metadata"]["labels"]
    assert full == ("PATCH", RO + "/status", "application/merge-patch+json",
                    {"status": {"promoteFull": True}})  # fmt: skip
    assert cli("--json", "rollout", "status", "--ns", "maestro").out.count(GOOD) == 1

    k8s.emulator.requests.clear()
    assert cli("rollout", "pin", THIRD, "--ns", "maestro", "--reason", "release drill").code == 0
    put, live = _writes(k8s)
    assert put[:2] == ("PUT", RO) and live[1:] == full[1:]  # a pin goes live like an undo
    assert k8s.emulator.rollout("maestro", "maestro")["status"]["phase"] == "Healthy"

    assert k8s.emulator.validate_all() == [] and k8s.emulator.warnings == []
    audit = json.loads(cli("--json", "audit", "log").out)
    assert [e["action"] for e in audit] == [
        "rollout.deploy", "promote", "rollback", "promote", "rollout.pin", "promote",
    ]  # fmt: skip
    assert audit[0]["reason"] == "train 1.4" and audit[0]["target"] == "maestro/maestro"
    assert audit[2]["payload"]["patches"][0]["type"] == "json"


def test_dry_run_prints_the_exact_patch_and_sends_nothing(cli, k8s: Cluster, policy: Path):
    k8s.rollout("maestro")
    cli("rollout", "deploy", NEXT, "--ns", "maestro", "--reason", "release drill")
    k8s.emulator.requests.clear()
    result = cli("rollout", "promote", "--ns", "maestro", "--dry-run")
    assert result.code == 0
    assert (
        'PATCH/status (application/merge-patch+json) {"status": {"pauseConditions": null}}'
        in result.out
    )
    assert _writes(k8s) == []
    plan = json.loads(cli("--json", "rollout", "abort", "--ns", "maestro", "--dry-run").out)
    assert plan["patches"][0]["body"] == {"status": {"abort": True}} and not plan["applied"]
    assert _writes(k8s) == []


def test_abort_and_promote_fall_back_without_the_status_subresource(
    cli, k8s: Cluster, policy: Path
):
    k8s.rollout("maestro")
    cli("rollout", "deploy", NEXT, "--ns", "maestro", "--reason", "release drill")
    k8s.emulator.status_subresource = False  # a v0.9 controller
    k8s.emulator.requests.clear()
    assert cli("rollout", "promote", "--ns", "maestro", "--reason", "release drill").code == 0
    assert [(w[1], w[3]) for w in _writes(k8s)] == [
        (RO + "/status", {"status": {"pauseConditions": None}}),
        (RO, {"spec": {"paused": False}, "status": {"pauseConditions": None}}),
    ]
    k8s.emulator.requests.clear()
    assert cli("rollout", "abort", "--ns", "maestro", "--reason", "release drill").code == 0
    assert [(w[1], w[3]) for w in _writes(k8s)] == [
        (RO + "/status", {"status": {"abort": True}}),
        (RO, {"status": {"abort": True}}),
    ]


def test_a_409_is_retried_with_a_fresh_read(cli, k8s: Cluster, policy: Path):
    k8s.rollout("maestro")
    k8s.emulator.conflicts_to_inject = 1
    assert cli("rollout", "deploy", NEXT, "--ns", "maestro", "--reason", "release drill").code == 0
    assert [w[0] for w in _writes(k8s)] == ["PUT", "PUT"]
    ro = k8s.emulator.rollout("maestro", "maestro")
    assert ro["spec"]["template"]["spec"]["containers"][0]["image"] == NEXT
    assert "emulator/touched" in ro["metadata"]["annotations"]  # the other writer's change kept

    k8s.emulator.conflicts_to_inject = 5  # the plugin's set image gives up after 5 attempts
    result = cli("rollout", "deploy", THIRD, "--ns", "maestro", "--reason", "release drill")
    assert result.code == 4 and result.err.count("\n") == 1 and "changed concurrently" in result.err
    assert (
        k8s.emulator.rollout("maestro", "maestro")["spec"]["template"]["spec"]["containers"][0][
            "image"
        ]
        == NEXT
    )  # nothing half-applied


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("rollout", "promote", "--ns", "nowhere"), "namespace 'nowhere' not found"),
        (
            (
                "rollout",
                "promote",
                "--ns",
                "maestro",
                "--rollout",
                "api",
                "--reason",
                "release drill",
            ),
            "rollout 'api' not found",
        ),
        (("rollout", "pin", "ghcr.io/acme/maestro:v1.4.0", "--ns", "maestro"), "immutable"),
        (
            ("rollout", "undo", "--ns", "maestro", "--reason", "release drill"),
            "no previous revision",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(cli, k8s: Cluster, policy: Path, args, message):
    k8s.rollout("maestro")
    result = cli(*args)
    assert result.code == 2
    assert result.err.count("\n") == 1 and message in result.err and "Traceback" not in result.err
    assert _writes(k8s) == []


def test_unreachable_api_is_exit_4(cli, tmp_path: Path, k8s: Cluster, policy: Path):
    from tests.servers import free_port

    k8s.emulator.write_kubeconfig(k8s.kubeconfig, f"http://127.0.0.1:{free_port()}")
    result = cli("rollout", "status", "--ns", "maestro")
    assert result.code == 4 and "unreachable" in result.err and result.err.count("\n") == 1


def test_deploy_dry_run_shows_the_image_change_and_warns_on_a_short_scale_down_delay(
    cli, k8s: Cluster, policy: Path
):
    k8s.rollout("maestro", delay=30)
    result = cli("rollout", "deploy", NEXT, "--ns", "maestro", "--dry-run")
    assert result.code == 0 and _writes(k8s) == []
    assert "PUT (application/json) the whole Rollout, changing" in result.out
    assert "/spec/template/spec/containers/0/image" in result.out and NEXT in result.out
    assert "outlasts scaleDownDelaySeconds (30s)" in result.err


def test_deploy_of_the_running_digest_is_a_no_op(cli, k8s: Cluster, policy: Path):
    k8s.rollout("maestro")
    result = cli("rollout", "deploy", GOOD, "--ns", "maestro", "--reason", "release drill")
    assert result.code == 0 and "nothing to do" in result.out and _writes(k8s) == []
    assert json.loads(cli("--json", "audit", "log").out) == []


def test_a_missing_kubeconfig_is_one_line_exit_2(cli, tmp_path: Path, k8s: Cluster, policy: Path):
    policy.write_text(policy.read_text().replace(str(k8s.kubeconfig), "missing/kubeconfig"))
    result = cli("rollout", "status", "--ns", "maestro")
    assert result.code == 2 and "cannot load a kubeconfig from" in result.err
    assert str(tmp_path / "missing/kubeconfig") in result.err  # relative to the policy file


def test_the_cluster_ports_undo_and_pin_go_live(k8s: Cluster):
    from trainmaster.adapters.kubernetes.api import Kube
    from trainmaster.adapters.kubernetes.rollouts import ArgoRolloutsCluster
    from trainmaster.rollout.port import Target

    k8s.rollout("maestro")
    cluster = ArgoRolloutsCluster(Kube(str(k8s.kubeconfig)))
    prod = Target("prod", "maestro", "maestro")
    cluster.deploy(prod, NEXT)
    assert cluster.status(prod).preview == NEXT and cluster.status(prod).paused
    cluster.promote(prod)
    cluster.undo(prod)
    state = cluster.status(prod)
    assert (state.stable, state.preview, state.paused) == (GOOD, None, False)
    cluster.pin(prod, THIRD)
    assert cluster.status(prod).stable == THIRD and cluster.status(prod).phase == "Healthy"
    assert k8s.emulator.validate_all() == []


def test_undo_dry_run_prints_the_json_patch_and_the_promotion_that_follows(
    cli, k8s: Cluster, policy: Path
):
    k8s.rollout("maestro")
    cli("rollout", "deploy", NEXT, "--ns", "maestro", "--reason", "release drill")
    cli("rollout", "promote", "--ns", "maestro", "--reason", "release drill")
    k8s.emulator.requests.clear()
    result = cli("rollout", "undo", "--ns", "maestro", "--dry-run")
    assert result.code == 0 and _writes(k8s) == []
    assert 'PATCH (application/json-patch+json) [{"op": "replace", "path": "/spec/template"' in (
        result.out
    )
    assert '{"status": {"promoteFull": true}}' in result.out


def test_status_of_an_aborted_rollout_is_exit_1(cli, k8s: Cluster, policy: Path):
    k8s.rollout("maestro")
    cli("rollout", "deploy", NEXT, "--ns", "maestro", "--reason", "release drill")
    assert cli("rollout", "status", "--ns", "maestro").code == 0
    assert cli("rollout", "abort", "--ns", "maestro", "--reason", "smoke failed").code == 0
    result = cli("--json", "rollout", "status", "--ns", "maestro")
    assert result.code == 1 and json.loads(result.out)["phase"] == "Degraded"
    assert json.loads(result.out)["stable"] == GOOD  # traffic stayed on the stable colour
    assert "RolloutAborted" in result.err


def test_retry_and_restart_from_the_cli_send_the_plugins_patches(cli, k8s: Cluster, policy: Path):
    k8s.rollout("maestro")
    cli("rollout", "deploy", NEXT, "--ns", "maestro", "--reason", "release drill")
    cli("rollout", "abort", "--ns", "maestro", "--reason", "smoke failed")
    k8s.emulator.requests.clear()
    assert cli("rollout", "retry", "--ns", "maestro", "--reason", "flake fixed").code == 0
    assert _writes(k8s) == [
        ("PATCH", RO + "/status", "application/merge-patch+json", {"status": {"abort": False}})
    ]
    assert k8s.emulator.rollout("maestro", "maestro")["status"]["phase"] == "Paused"
    k8s.emulator.requests.clear()
    assert cli("rollout", "restart", "--ns", "maestro", "--reason", "leak").code == 0
    ((method, path, _, body),) = _writes(k8s)
    assert (method, path, list(body["spec"])) == ("PATCH", RO, ["restartAt"])
    assert k8s.emulator.rollout("maestro", "maestro")["status"]["restartedAt"]
    result = cli("--json", "audit", "log")
    assert "rollout.retry" in result.out and "rollout.restart" in result.out
