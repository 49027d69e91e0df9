"""Whatever goes wrong, the CLI prints one redacted line: an unexpected exception (a bug) is
exit 70 with its type and message, and only --debug shows the traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from trainmaster.config.seed import seed_policy_text
from trainmaster.redaction import register_secret


def test_a_bug_is_one_line_and_exit_70_and_debug_shows_it(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "trainmaster.yaml").write_text(seed_policy_text("acme", "maestro"))
    secret = "ghp_" + "S3cr3t" * 6
    register_secret(secret)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError(f"boom with {secret}\nsecond line")

    from trainmaster.train import schedule

    monkeypatch.setattr(schedule, "upcoming", broken)
    result = cli("train", "schedule")
    assert result.code == 70
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.err
    assert lines[0].startswith("error: internal error (a bug in trainmaster")
    assert "RuntimeError: boom with" in lines[0] and secret not in result.err
    with pytest.raises(RuntimeError):
        cli("--debug", "train", "schedule")
