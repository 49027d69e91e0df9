"""The Forge port over GitHub: releases, release assets and pull requests, each idempotent."""

from __future__ import annotations

import hashlib
import mimetypes
from pathlib import Path
from typing import Any

from trainmaster.adapters.github.client import GitHubClient
from trainmaster.adapters.github.errors import NotFound
from trainmaster.forge import PullRef, PullState, ReleaseRef


class GitHubForge:
    def __init__(self, client: GitHubClient) -> None:
        self.client = client

    def close(self) -> None:
        self.client.close()

    def find_release(self, repo: str, tag: str) -> ReleaseRef | None:
        try:
            return _release(self.client.get(f"/repos/{repo}/releases/tags/{tag}"))
        except NotFound:
            pass
        # The by-tag endpoint never returns drafts; they are only in the list.
        for item in self.client.get_all(f"/repos/{repo}/releases"):
            if item.get("tag_name") == tag:
                return _release(item)
        return None

    def create_release(
        self,
        repo: str,
        *,
        tag: str,
        name: str,
        body: str,
        draft: bool = True,
        target: str | None = None,
    ) -> ReleaseRef:
        existing = self.find_release(repo, tag)
        if existing is not None:
            return existing
        payload: dict[str, Any] = {"tag_name": tag, "name": name, "body": body, "draft": draft}
        if target:
            payload["target_commitish"] = target
        return _release(self.client.write("POST", f"/repos/{repo}/releases", payload))

    def upload_release_asset(
        self,
        repo: str,
        release_id: int,
        path: Path,
        *,
        name: str | None = None,
        content_type: str = "application/gzip",
    ) -> str:
        data = path.read_bytes()
        asset_name = name or path.name
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        assets = self.client.get_all(f"/repos/{repo}/releases/{release_id}/assets")
        for asset in assets:
            if asset.get("name") != asset_name:
                continue
            if _same_content(asset, digest, len(data)):
                return str(asset["browser_download_url"])
            # GitHub refuses a second asset with the same name: replace the old one.
            self.client.write("DELETE", f"/repos/{repo}/releases/assets/{asset['id']}")
        kind = content_type or mimetypes.guess_type(asset_name)[0] or "application/octet-stream"
        created = self.client.upload(
            f"/repos/{repo}/releases/{release_id}/assets", {"name": asset_name}, data, kind
        )
        return str(created["browser_download_url"])

    def open_pull_request(
        self, repo: str, *, head: str, base: str, title: str, body: str
    ) -> PullRef:
        owner = repo.split("/", 1)[0]
        qualified = head if ":" in head else f"{owner}:{head}"
        params = {"head": qualified, "base": base, "state": "open"}
        for item in self.client.get_all(f"/repos/{repo}/pulls", params):
            return _pull(item)
        payload = {"title": title, "head": head, "base": base, "body": body}
        return _pull(self.client.write("POST", f"/repos/{repo}/pulls", payload))

    def pull_request(self, repo: str, number: int) -> PullRef:
        return _pull(self.client.get(f"/repos/{repo}/pulls/{number}"))


def _same_content(asset: dict[str, Any], digest: str, size: int) -> bool:
    # Newer GitHub versions report the asset's sha256; older ones (GHES) only its size.
    known = asset.get("digest")
    return bool(known == digest) if known else asset.get("size") == size


def _release(item: dict[str, Any]) -> ReleaseRef:
    return ReleaseRef(
        id=int(item["id"]),
        tag=str(item["tag_name"]),
        url=str(item.get("html_url", "")),
        draft=bool(item.get("draft")),
    )


def _pull(item: dict[str, Any]) -> PullRef:
    state: PullState = "merged" if item.get("merged_at") else item["state"]
    return PullRef(number=int(item["number"]), url=str(item.get("html_url", "")), state=state)
