"""The mailer port: how the platform sends an email (password reset links).

`SmtpMailer` speaks SMTP through the standard library's `smtplib` (STARTTLS or
implicit TLS per settings) and is used whenever `SMTP_HOST` is set;
`LogMailer` writes the message to the log instead, which is what the local
stack and tests use (the reset link is read from there).
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Mail:
    """A plain-text message: recipient address `to`, `subject`, body `text`."""
    to: str
    subject: str
    text: str


class Mailer(Protocol):
    """Sends transactional mail (password reset links)."""
    def send(self, mail: Mail) -> None:
        """Deliver `mail`; raises OSError/smtplib.SMTPException when the server refuses it."""
        ...


class LogMailer:
    """Development mailer: the message goes to the log (INFO), nothing leaves the machine."""

    def __init__(self) -> None:
        self.sent: list[Mail] = []  # tests read what was "sent"

    def send(self, mail: Mail) -> None:
        """Log `mail` at INFO instead of sending it, and keep the last 100 in `sent`."""
        self.sent.append(mail)
        del self.sent[:-100]
        log.info("mail (not sent: no SMTP_HOST) to=%s subject=%s\n%s", mail.to, mail.subject, mail.text)


class SmtpMailer:
    """SMTP submission (RFC 6409): port 587 with STARTTLS, or 465 with implicit TLS (`use_tls`)."""

    def __init__(self, *, host: str, port: int, sender: str, username: str = "", password: str = "",
                 starttls: bool = True, use_tls: bool = False, timeout_s: float = 10.0) -> None:
        self._host, self._port, self._sender = host, port, sender
        self._username, self._password = username, password
        self._starttls, self._use_tls, self._timeout_s = starttls, use_tls, timeout_s

    def send(self, mail: Mail) -> None:
        """Submit `mail` over SMTP (RFC 6409; STARTTLS per RFC 3207 or implicit TLS per RFC 8314), logging in when a username
        is set. Raises OSError or smtplib.SMTPException when the server is unreachable or refuses it.
        """
        msg = EmailMessage()
        msg["From"] = self._sender
        msg["To"] = mail.to
        msg["Subject"] = mail.subject
        msg.set_content(mail.text)
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if self._use_tls:
            smtp = smtplib.SMTP_SSL(self._host, self._port, timeout=self._timeout_s, context=context)
        else:
            smtp = smtplib.SMTP(self._host, self._port, timeout=self._timeout_s)
        with smtp:
            if self._starttls and not self._use_tls:
                smtp.starttls(context=context)
            if self._username:
                smtp.login(self._username, self._password)
            smtp.send_message(msg)
        log.info("mail sent", extra={"subject": mail.subject})
