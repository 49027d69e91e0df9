"""Email through a real SMTP server (aiosmtpd) on 127.0.0.1 that requires STARTTLS."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
from collections.abc import Iterator
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from trainmaster.config import parse_policy
from trainmaster.config.notify import NotifyTarget
from trainmaster.config.seed import seed_policy_text
from trainmaster.notify.deliver import send_message
from trainmaster.notify.samples import sample_events

PASSWORD = "correct horse battery staple"
SAMPLES = sample_events(parse_policy(seed_policy_text("acme", "maestro")))


def self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "smtp.pem", folder / "smtp.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[tuple[bytes, bool]] = []  # (content, over TLS)
        self.replies: list[str] = []
        self.logins: list[tuple[bytes, bytes]] = []

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        self.logins.append((data.login, data.password))
        # handled=False: the server answers 535 itself (handled=True would leave it to us)
        return AuthResult(success=data.password == PASSWORD.encode(), handled=False)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.replies:
            return self.replies.pop(0)
        self.messages.append((envelope.content, session.ssl is not None))
        return "250 OK"


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[tuple[Mailbox, int, Path]]:
    cert, key = self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    box = Mailbox()
    controller = Controller(
        box,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=box.authenticate,
        auth_require_tls=True,
    )
    controller.start()
    try:
        yield box, port, cert
    finally:
        controller.stop()


def target(port: int, cert: Path, starttls: bool = True, **smtp: object) -> NotifyTarget:
    return NotifyTarget.model_validate(
        {
            "name": "mail",
            "type": "email",
            "timeout": "5s",
            "smtp": {
                "host": "127.0.0.1",
                "port": port,
                "from": "trainmaster@example.com",
                "to": ["oncall@example.com", "captain@example.com"],
                "ca_file": str(cert),
                "starttls": starttls,
                **smtp,
            },
        }
    )


def test_email_goes_over_starttls_with_text_and_html(smtp: tuple[Mailbox, int, Path]) -> None:
    box, port, cert = smtp
    event = SAMPLES[3]  # train.rolled_back
    attempt = send_message(target(port, cert), None, "msg_abc", event)
    assert attempt.ok, attempt.error
    [(content, over_tls)] = box.messages
    assert over_tls
    mail = message_from_bytes(content, policy=policy.default)
    assert mail["Message-ID"] == "<msg_abc@trainmaster>"  # the same on every retry
    assert mail["Subject"].startswith("[trainmaster] Rolled back:")
    assert mail["To"] == "oncall@example.com, captain@example.com"
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "Criterion: error-rate: 0.031 against threshold 0.02" in text
    assert "<th align='left'>Now serving</th>" in html


def test_without_starttls_the_server_refuses_and_it_is_permanent(
    smtp: tuple[Mailbox, int, Path],
) -> None:
    box, port, cert = smtp
    attempt = send_message(target(port, cert, starttls=False), None, "msg_abc", SAMPLES[0])
    assert (attempt.ok, attempt.temporary, attempt.error) == (False, False, "SMTP 530")
    assert box.messages == []


def test_a_4xx_reply_is_temporary_and_a_5xx_permanent(smtp: tuple[Mailbox, int, Path]) -> None:
    box, port, cert = smtp
    box.replies = ["451 4.3.0 try again later", "554 5.7.1 rejected"]
    first = send_message(target(port, cert), None, "msg_abc", SAMPLES[0])
    second = send_message(target(port, cert), None, "msg_abc", SAMPLES[0])
    assert (first.temporary, first.error) == (True, "SMTP 451")
    assert (second.temporary, second.error) == (False, "SMTP 554")


def test_a_relay_with_an_untrusted_certificate_is_not_sent_to(
    smtp: tuple[Mailbox, int, Path], tmp_path: Path
) -> None:
    box, port, _cert = smtp
    (tmp_path / "other").mkdir()
    other, _ = self_signed(tmp_path / "other")  # a certificate the relay does not present
    attempt = send_message(target(port, other), None, "msg_abc", SAMPLES[0])
    assert not attempt.ok and attempt.error.startswith("SMTP: SSLCertVerificationError")
    assert box.messages == []


def test_the_password_is_sent_only_after_starttls_and_a_wrong_one_is_permanent(
    smtp: tuple[Mailbox, int, Path],
) -> None:
    box, port, cert = smtp
    mail = target(port, cert, username="trainmaster")
    assert send_message(mail, PASSWORD, "msg_1", SAMPLES[2]).ok
    assert box.logins == [(b"trainmaster", PASSWORD.encode())] and len(box.messages) == 1
    refused = send_message(mail, "wrong password", "msg_2", SAMPLES[2])
    assert (refused.ok, refused.temporary, refused.error) == (False, False, "SMTP 535")
    assert len(box.messages) == 1
