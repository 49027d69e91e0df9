"""The demo's notification inbox: a signed-webhook receiver on 127.0.0.1 that verifies every
request with the Standard Webhooks reference library and keeps each webhook-id once, and the
sender that delivers the outbox while the story runs (as the server's job runner would)."""

from __future__ import annotations

import base64
import json
import os
import secrets
import threading
from contextlib import ExitStack
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trainmaster.config import Policy
    from trainmaster.demo.show import Show
    from trainmaster.store import Store

SECRET_ENV = "TRAINMASTER_DEMO_INBOX_SECRET"
TARGET = "demo-inbox"


@dataclass
class Inbox:
    url: str
    secret: str
    events: dict[str, dict[str, Any]] = field(default_factory=dict)  # webhook-id → event
    repeats: int = 0  # deliveries of an id already received (at least once, shown as such)
    refused: int = 0  # requests whose signature did not verify
    shown: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def policy_section(self) -> str:
        return (
            "notify:\n"
            "  targets:\n"
            f"    - name: {TARGET}\n"
            "      type: webhook\n"
            f"      url: {self.url}\n"
            f"      secret_env: {SECRET_ENV}\n"
            "      events: [train.scheduled, approval.requested, train.promoted, "
            "train.rolled_back]\n"
        )

    def receive(self, body: bytes, headers: dict[str, str]) -> bool:
        from standardwebhooks.webhooks import Webhook, WebhookVerificationError

        try:
            event = Webhook(self.secret).verify(body, headers)
        except WebhookVerificationError:
            with self.lock:
                self.refused += 1
            return False
        with self.lock:
            if headers["webhook-id"] in self.events:
                self.repeats += 1
            else:
                self.events[headers["webhook-id"]] = event
        return True

    def show_new(self, show: Show) -> None:
        with self.lock:
            new = list(self.events.values())[self.shown :]
            self.shown += len(new)
        for event in new:
            data = event["data"]
            about = (data.get("train") or {}).get("id", "")
            where = f" {data['stage']}" if data.get("stage") else ""
            show.step(
                f"  [cyan]notified[/cyan] {event['type']} {about}{where} → {self.url} "
                "(signature verified)"
            )


def start_inbox(cleanup: ExitStack) -> Inbox:
    """Listen on a free loopback port; the secret is fresh for each run, in the environment."""
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    os.environ[SECRET_ENV] = secret
    holder: list[Inbox] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(min(int(self.headers.get("content-length", "0")), 1 << 20))
            headers = {k.lower(): v for k, v in self.headers.items()}
            ok = holder[0].receive(body, headers)
            self.send_response(204 if ok else 401)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    holder.append(Inbox(f"http://127.0.0.1:{server.server_address[1]}/hooks", secret))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    cleanup.callback(server.server_close)
    cleanup.callback(server.shutdown)
    return holder[0]


def start_sender(policy: Policy, policy_path: Path, store: Store, cleanup: ExitStack) -> None:
    """Write notifications with every audit event from now on, and deliver them every half
    second in the background; on the way out, deliver what is left."""
    from trainmaster.notify.deliver import Deliverer
    from trainmaster.notify.hook import install, uninstall

    install(policy, policy_path.parent)
    deliverer = Deliverer(policy, policy_path, store)
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(0.5):
            deliverer.run(within=5)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()

    def finish() -> None:
        stop.set()
        thread.join(timeout=10)
        uninstall()
        deliverer.run(within=5)

    cleanup.callback(finish)


def delivered(inbox: Inbox) -> dict[str, int]:
    """Event type → how many distinct events of that type arrived."""
    counts: dict[str, int] = {}
    for event in inbox.events.values():
        counts[event["type"]] = counts.get(event["type"], 0) + 1
    return dict(sorted(counts.items()))


def summary_line(inbox: Inbox) -> str:
    counts = json.dumps(delivered(inbox))
    return (
        f"notifications: {len(inbox.events)} delivered once each to {inbox.url} {counts}; "
        f"{inbox.repeats} repeated deliveries recognised by webhook-id, {inbox.refused} refused"
    )
