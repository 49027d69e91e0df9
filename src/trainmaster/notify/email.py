"""Email notifications: plain text and HTML alternatives, sent through SMTP with STARTTLS.

The Message-ID is the message's id, the same on every retry, so a mail system that saw an
attempt it could not acknowledge can drop the repeat. SMTP 4xx replies are temporary, 5xx
permanent (RFC 5321 4.2.1)."""

from __future__ import annotations

import html
import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any

from trainmaster.config.notify import Smtp
from trainmaster.notify.render import plain, summarize
from trainmaster.notify.send import Attempt


def email_message(smtp: Smtp, message_id: str, event: Mapping[str, Any]) -> EmailMessage:
    summary = summarize(event)
    mail = EmailMessage()
    mail["Subject"] = f"[trainmaster] {summary.title}"
    mail["From"] = smtp.sender
    mail["To"] = ", ".join(smtp.to)
    mail["Message-ID"] = f"<{message_id}@trainmaster>"
    mail["X-Trainmaster-Event"] = str(event["type"])
    mail.set_content(plain(summary))
    rows = "".join(
        f"<tr><th align='left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
        for k, v in summary.fields
    )
    body = f"<pre>{html.escape(summary.text)}</pre>" if summary.text else ""
    link = (
        f"<p><a href='{html.escape(summary.link)}'>Open the train</a></p>" if summary.link else ""
    )
    mail.add_alternative(
        f"<html><body><h2>{html.escape(summary.title)}</h2><table>{rows}</table>{body}{link}"
        "</body></html>",
        subtype="html",
    )
    return mail


def send_email(smtp: Smtp, password: str | None, mail: EmailMessage, timeout: float) -> Attempt:
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=timeout) as client:
            client.ehlo()
            if smtp.starttls:
                client.starttls(context=ssl.create_default_context(cafile=smtp.ca_file))
                client.ehlo()
            if smtp.username and password:
                client.login(smtp.username, password)
            client.send_message(mail)
    except smtplib.SMTPResponseException as e:
        temporary = 400 <= e.smtp_code < 500
        return Attempt(False, temporary, f"SMTP {e.smtp_code}")
    except smtplib.SMTPRecipientsRefused:
        return Attempt(False, False, "SMTP: every recipient was refused")
    except (smtplib.SMTPException, ssl.SSLError, OSError) as e:
        return Attempt(False, True, f"SMTP: {type(e).__name__}: {str(e)[:200]}")
    return Attempt(True)
