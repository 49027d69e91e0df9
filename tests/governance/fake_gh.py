"""A stand-in for `gh api` (the subset `plan --explain` uses), talking to the emulator.

Flags as gh has them: --hostname HOST, --method M, -H 'K: V', --input FILE, then the path.
GitHub Enterprise hosts serve the API under /api/v3, as gh assumes for any --hostname.
"""

from __future__ import annotations

import os
import sys

import httpx


def main(argv: list[str]) -> int:
    assert argv[0] == "api", argv
    args = argv[1:]
    host, method, headers, body, path = "api.github.com", "GET", {}, None, ""
    while args:
        flag = args.pop(0)
        if flag == "--hostname":
            host = args.pop(0)
        elif flag in ("--method", "-X"):
            method = args.pop(0)
        elif flag == "-H":
            key, value = args.pop(0).split(":", 1)
            headers[key.strip()] = value.strip()
        elif flag == "--input":
            with open(args.pop(0), "rb") as handle:
                body = handle.read()
        elif flag.startswith("-"):
            raise SystemExit(f"fake gh: unsupported flag {flag}")
        else:
            path = flag
    headers["Authorization"] = f"Bearer {os.environ['GH_TOKEN']}"
    if body is not None:
        headers["Content-Type"] = "application/json"
    response = httpx.request(method, f"http://{host}/api/v3/{path}", headers=headers, content=body)
    sys.stdout.write(response.text)
    return 0 if response.status_code < 400 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
