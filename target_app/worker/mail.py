"""Notification emails: to the SMTP server at ``SMTP_URL``, or into the log when there is none.

    mailer = make_mailer(settings)
    await mailer.send("ada@example.com", "Task completed: write the report", "...", "<id@taskapi>")
"""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage
from urllib.parse import urlsplit

from target_app.logs import logger
from target_app.settings import Settings

SMTP_TIMEOUT_S = 10.0


class SmtpMailer:
    """Sends each email over its own SMTP connection (stdlib ``smtplib``, on a thread)."""

    kind = "smtp"

    def __init__(self, url: str, sender: str) -> None:
        parts = urlsplit(url)
        if parts.scheme != "smtp" or not parts.hostname:
            raise ValueError(f"SMTP_URL: {url!r} is not smtp://host:port")
        self.host, self.port, self.sender = parts.hostname, parts.port or 25, sender

    async def send(self, to: str, subject: str, text: str, message_id: str) -> None:
        """Hand one email to the server; raises ``OSError`` / ``smtplib.SMTPException`` on failure."""
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, to, subject
        message["Message-ID"] = message_id
        message.set_content(text)
        await asyncio.to_thread(self._send, message)

    def _send(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT_S) as smtp:
            smtp.send_message(message)


class LogMailer:
    """Writes each email to the log: the embedded default, so nothing leaves the machine."""

    kind = "log"

    async def send(self, to: str, subject: str, text: str, message_id: str) -> None:
        logger.info("email (no SMTP_URL): %s", subject, extra={"to": to, "message_id": message_id})


def make_mailer(settings: Settings) -> SmtpMailer | LogMailer:
    """SMTP when ``SMTP_URL`` is set, else the log."""
    return SmtpMailer(settings.SMTP_URL, settings.MAIL_FROM) if settings.SMTP_URL else LogMailer()
