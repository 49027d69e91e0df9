"""Emulated releases, release assets, pull requests and GitHub App installation tokens."""

from __future__ import annotations

import hashlib
from typing import Any

from tests.emulators.github.core import Call, Reply
from tests.emulators.github.routes_governance import NOT_FOUND, repo_of, st

INVALID = "Validation Failed"


def _key(call: Call) -> str:
    return f"{call.params['owner']}/{call.params['repo']}"


def _release_view(key: str, r: dict[str, Any]) -> dict[str, Any]:
    s = st()
    assets = [a for a in s.assets.values() if a["release_id"] == r["id"]]
    return s.obj(
        "release",
        id=r["id"],
        tag_name=r["tag_name"],
        name=r["name"],
        body=r["body"],
        draft=r["draft"],
        prerelease=False,
        target_commitish=r["target_commitish"],
        html_url=f"{s.base}/{key}/releases/tag/{r['tag_name']}",
        url=f"{s.base}/api/v3/repos/{key}/releases/{r['id']}",
        upload_url=f"{s.base}/api/uploads/repos/{key}/releases/{r['id']}/assets{{?name,label}}",
        author=s.user_obj("trainmaster-release-bot"),
        assets=[_asset_view(key, a) for a in assets],
        published_at=None if r["draft"] else "2025-01-01T00:00:00Z",
    )


def _asset_view(key: str, a: dict[str, Any]) -> dict[str, Any]:
    s = st()
    return s.obj(
        "release-asset",
        id=a["id"],
        name=a["name"],
        size=a["size"],
        digest=a["digest"],
        content_type=a["content_type"],
        state="uploaded",
        label=None,
        uploader=None,
        url=f"{s.base}/api/v3/repos/{key}/releases/assets/{a['id']}",
        browser_download_url=f"{s.base}/{key}/releases/download/{a['name']}",
    )


def list_releases(call: Call) -> Reply:
    if repo_of(call) is None:
        return NOT_FOUND
    items = sorted(st().releases.get(_key(call), {}).values(), key=lambda r: -r["id"])
    return Reply(200, [_release_view(_key(call), r) for r in items])


def release_by_tag(call: Call) -> Reply:
    for r in st().releases.get(_key(call), {}).values():
        if r["tag_name"] == call.params["tag"] and not r["draft"]:
            return Reply(200, _release_view(_key(call), r))
    return NOT_FOUND


def get_release(call: Call) -> Reply:
    r = st().releases.get(_key(call), {}).get(int(call.params["id"]))
    return Reply(200, _release_view(_key(call), r)) if r else NOT_FOUND


def create_release(call: Call) -> Reply:
    repo = repo_of(call)
    if repo is None:
        return NOT_FOUND
    releases = st().releases.setdefault(_key(call), {})
    tag = call.body["tag_name"]
    if any(r["tag_name"] == tag for r in releases.values()):
        error = {"resource": "Release", "code": "already_exists", "field": "tag_name"}
        return Reply(422, {"message": INVALID, "errors": [error]})
    rid = next(st().ids)
    releases[rid] = {
        "id": rid,
        "tag_name": tag,
        "name": call.body.get("name") or tag,
        "body": call.body.get("body") or "",
        "draft": bool(call.body.get("draft", False)),
        "target_commitish": call.body.get("target_commitish") or repo.default_branch,
    }
    return Reply(201, _release_view(_key(call), releases[rid]))


def list_assets(call: Call) -> Reply:
    if int(call.params["id"]) not in st().releases.get(_key(call), {}):
        return NOT_FOUND
    items = [a for a in st().assets.values() if a["release_id"] == int(call.params["id"])]
    return Reply(200, [_asset_view(_key(call), a) for a in items])


def upload_asset(call: Call) -> Reply:
    release_id = int(call.params["id"])
    if release_id not in st().releases.get(_key(call), {}):
        return NOT_FOUND
    name = call.query.get("name", "")
    if any(a["release_id"] == release_id and a["name"] == name for a in st().assets.values()):
        error = {"resource": "ReleaseAsset", "code": "already_exists", "field": "name"}
        return Reply(422, {"message": INVALID, "errors": [error]})
    aid = next(st().ids)
    st().assets[aid] = {
        "id": aid,
        "release_id": release_id,
        "name": name,
        "size": len(call.raw),
        "digest": "sha256:" + hashlib.sha256(call.raw).hexdigest(),
        "content_type": call.headers.get("content-type", "application/octet-stream"),
    }
    st().asset_data[aid] = call.raw
    return Reply(201, _asset_view(_key(call), st().assets[aid]))


def delete_asset(call: Call) -> Reply:
    removed = st().assets.pop(int(call.params["id"]), None)
    return Reply(204) if removed else NOT_FOUND


# --- pull requests ---------------------------------------------------------------------------


def _pull_view(key: str, p: dict[str, Any]) -> dict[str, Any]:
    s = st()
    repo = s.repos[key]
    owner = key.split("/", maxsplit=1)[0]
    ref = {
        "repo": {**s.obj("repository"), **s.repo_obj(repo)},
        "user": s.user_obj(owner),
        "sha": "0" * 40,
        "label": "",
    }
    return s.obj(
        "pull-request",
        number=p["number"],
        id=p["number"] + 90000,
        state=p["state"],
        title=p["title"],
        body=p["body"],
        merged=bool(p.get("merged_at")),
        merged_at=p.get("merged_at"),
        html_url=f"{s.base}/{key}/pull/{p['number']}",
        head={
            **s.obj("pull-request-simple")["head"],
            **ref,
            "ref": p["head"],
            "label": f"{owner}:{p['head']}",
        },
        base={
            **s.obj("pull-request-simple")["base"],
            **ref,
            "ref": p["base"],
            "label": f"{owner}:{p['base']}",
        },
        user=s.user_obj(owner),
    )


def list_pulls(call: Call) -> Reply:
    if repo_of(call) is None:
        return NOT_FOUND
    state = call.query.get("state", "open")
    head = call.query.get("head", "")
    base = call.query.get("base")
    owner = call.params["owner"]
    out = []
    for p in sorted(st().pulls.get(_key(call), {}).values(), key=lambda x: -x["number"]):
        if state != "all" and p["state"] != state:
            continue
        if head and f"{owner}:{p['head']}" != head:
            continue
        if base and p["base"] != base:
            continue
        simple = _pull_view(_key(call), p)
        out.append({k: v for k, v in simple.items() if k in _simple_fields()})
    return Reply(200, out)


def _simple_fields() -> set[str]:
    from tests.emulators.github import spec

    schema = spec.spec_dict()["components"]["schemas"]["pull-request-simple"]
    return set(schema["properties"])


def get_pull(call: Call) -> Reply:
    p = st().pulls.get(_key(call), {}).get(int(call.params["number"]))
    return Reply(200, _pull_view(_key(call), p)) if p else NOT_FOUND


def create_pull(call: Call) -> Reply:
    repo = repo_of(call)
    if repo is None:
        return NOT_FOUND
    pulls = st().pulls.setdefault(_key(call), {})
    head = call.body["head"].split(":")[-1]
    for p in pulls.values():
        if p["head"] == head and p["base"] == call.body["base"] and p["state"] == "open":
            msg = f"A pull request already exists for {call.params['owner']}:{head}."
            return Reply(
                422,
                {
                    "message": INVALID,
                    "errors": [{"resource": "PullRequest", "code": "custom", "message": msg}],
                },
            )
    number = len(pulls) + 1
    pulls[number] = {
        "number": number,
        "state": "open",
        "title": call.body.get("title", ""),
        "body": call.body.get("body"),
        "head": head,
        "base": call.body["base"],
    }
    return Reply(201, _pull_view(_key(call), pulls[number]))


# --- GitHub App ------------------------------------------------------------------------------


def installation(call: Call) -> Reply:
    app = st().app_auth
    if app is None or not app.verify(call.headers.get("authorization", "")):
        return Reply(401, {"message": "A JSON web token could not be decoded"})
    return Reply(200, st().obj("installation", id=app.installation_id, app_id=app.app_id))


def access_token(call: Call) -> Reply:
    app = st().app_auth
    if app is None or not app.verify(call.headers.get("authorization", "")):
        return Reply(401, {"message": "A JSON web token could not be decoded"})
    if int(call.params["id"]) != app.installation_id:
        return NOT_FOUND
    token = app.issue()
    return Reply(201, st().obj("installation-token", token=token, expires_at=app.expires_at()))
