"""Outgoing e-mail over SMTP, configured by the SMTP_* settings."""

from __future__ import annotations

import re
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid

from portal_app.core.settings import get_settings

# What an e-mail address must look like before we store it or write to it.
EMAIL_PATTERN = re.compile(r"[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s]{2,63}")

SMTP_TIMEOUT_SECONDS = 15


def build_message(*, to: str, subject: str, text: str, html: str | None = None) -> EmailMessage:
    """Build a plain-text message (with an HTML alternative when given) from the portal sender.

    Header values are refused when they carry line breaks, so user input cannot add headers.
    """
    for name, value in (("to", to), ("subject", subject)):
        if "\r" in value or "\n" in value:
            raise ValueError(f"e-mail {name} must be a single line")
    settings = get_settings()
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=settings.mail_from.rpartition("@")[2] or None)
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


def send_email(*, to: str, subject: str, text: str, html: str | None = None) -> None:
    """Send one e-mail through the configured SMTP server.

    Uses STARTTLS when SMTP_STARTTLS is set and logs in when SMTP_USERNAME is set. Network and
    SMTP errors (smtplib.SMTPException, OSError) reach the caller, which decides what to show.
    """
    settings = get_settings()
    message = build_message(to=to, subject=subject, text=text, html=html)
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
        if settings.smtp_starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password or "")
        smtp.send_message(message)
