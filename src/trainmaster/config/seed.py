"""The seed plan as a commented, valid policy, written by `trainmaster init`."""

from __future__ import annotations

from importlib.resources import files


def seed_policy_text(owner: str = "OWNER", repo: str = "REPO") -> str:
    text = files("trainmaster.config").joinpath("seed.yaml").read_text(encoding="utf-8")
    return text.replace("OWNER/REPO", f"{owner}/{repo}")
