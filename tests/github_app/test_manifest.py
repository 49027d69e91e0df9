"""`trainmaster app manifest`: the GitHub App manifest, with the least permissions the built
features need (GitHub docs, "Creating custom deployment protection rules": Actions read,
Deployments read and write) and the events they act on."""

from __future__ import annotations

import json

import pytest

from trainmaster.github_app.intake import HANDLED
from trainmaster.github_app.manifest import PERMISSIONS


@pytest.fixture
def run(cli):  # type: ignore[no-untyped-def]
    def manifest(*args: str) -> tuple[int, str, str]:
        result = cli("app", "manifest", *args)
        return result.code, result.out, result.err

    return manifest


def test_the_manifest_names_the_webhook_and_the_least_permissions(run) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run("--url", "https://trainmaster.acme.example/", "--name", "acme-trainmaster")
    assert code == 0
    manifest = json.loads(out)
    assert manifest["name"] == "acme-trainmaster"
    assert manifest["url"] == "https://trainmaster.acme.example"
    assert manifest["hook_attributes"] == {
        "url": "https://trainmaster.acme.example/webhooks/github",
        "active": True,
    }
    assert manifest["public"] is False
    assert manifest["default_permissions"] == {
        "actions": "read",
        "deployments": "write",
        "checks": "read",
        "contents": "read",
        "pull_requests": "read",
        "metadata": "read",
    }
    # every event the intake acts on is subscribed to
    assert set(HANDLED) <= set(manifest["default_events"])


def test_every_permission_is_explained() -> None:
    assert all(len(why) > 20 for _, why in PERMISSIONS.values())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--url", "http://trainmaster.acme.example"), "is not an https URL"),
        (("--url", "ftp://x"), "is not an https URL"),
        (("--url", "https://x", "--name", "n" * 35), "1 to 34 characters"),
    ],
)
def test_a_bad_url_or_name_is_a_usage_error(run, args: tuple[str, ...], message: str) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run(*args)
    assert code != 0 and out == ""
    assert message in err and "Traceback" not in err


def test_loopback_http_is_allowed_for_a_local_trial(run) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run("--url", "http://127.0.0.1:8080")
    assert code == 0
    assert json.loads(out)["hook_attributes"]["url"] == "http://127.0.0.1:8080/webhooks/github"


def test_the_webhook_secret_is_registered_for_redaction(monkeypatch: pytest.MonkeyPatch) -> None:
    from trainmaster.github_app.signature import webhook_secret
    from trainmaster.redaction import redact

    monkeypatch.setenv("GITHUB_WEBHOOK_SECRET", "whsec-redact-me-please")
    assert webhook_secret() == b"whsec-redact-me-please"
    assert redact("the secret is whsec-redact-me-please") == "the secret is ***"
