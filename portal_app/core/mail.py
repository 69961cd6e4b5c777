"""Outgoing e-mail over SMTP, configured by the SMTP_* settings."""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import make_msgid

from portal_app.core.settings import get_settings

# What an e-mail address must look like before we store it or write to it.
EMAIL_PATTERN = re.compile(r"[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s]{2,63}")

SMTP_TIMEOUT_SECONDS = 15


def new_message_id() -> str:
    """A fresh Message-ID (with angle brackets) in the sender's domain."""
    return make_msgid(domain=get_settings().mail_from.rpartition("@")[2] or None)


def build_message(
    *,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    message_id: str | None = None,
    attachments: Sequence[tuple[str, str, bytes]] = (),
    list_unsubscribe: str = "",
) -> EmailMessage:
    """Build a plain-text message (with an HTML alternative when given) from the portal sender.

    Header values are refused when they carry line breaks, so user input cannot add headers.
    `message_id` keeps a message's Message-ID across resends (a fresh one when None);
    `attachments` are (file name, media type, bytes). `list_unsubscribe` (an https URL) adds
    List-Unsubscribe with one-click unsubscribe (RFC 8058: the mail client POSTs to it).
    """
    for name, value in (("to", to), ("subject", subject), ("list_unsubscribe", list_unsubscribe)):
        if "\r" in value or "\n" in value:
            raise ValueError(f"e-mail {name} must be a single line")
    settings = get_settings()
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    if message_id is not None and ("\r" in message_id or "\n" in message_id):
        raise ValueError("e-mail message_id must be a single line")
    message["Message-ID"] = message_id or new_message_id()
    if list_unsubscribe:
        message["List-Unsubscribe"] = f"<{list_unsubscribe}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    for filename, media_type, content in attachments:
        maintype, _, subtype = media_type.partition("/")
        message.add_attachment(
            content,
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=filename,
        )
    return message


def send_email(
    *,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    message_id: str | None = None,
    attachments: Sequence[tuple[str, str, bytes]] = (),
    list_unsubscribe: str = "",
) -> None:
    """Send one e-mail through the configured SMTP server.

    Uses STARTTLS when SMTP_STARTTLS is set and logs in when SMTP_USERNAME is set. Network and
    SMTP errors (smtplib.SMTPException, OSError) reach the caller. Portal mail goes through the
    outbox (services/mail/outbox.py), whose sender is the only caller.
    """
    settings = get_settings()
    message = build_message(
        to=to,
        subject=subject,
        text=text,
        html=html,
        message_id=message_id,
        attachments=attachments,
        list_unsubscribe=list_unsubscribe,
    )
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
        if settings.smtp_starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password or "")
        smtp.send_message(message)
