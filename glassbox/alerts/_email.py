"""Email over SMTP: one plain-text message per alert (and per recovery), sent with ``smtplib``.

Settings (``alerts.email``): server ``host``/``port``, ``security`` (``starttls``, ``ssl`` or
``none`` for a relay on the same host), ``sender``, ``to`` and the lowest severity mailed. The
login is a secret and comes from the environment (``SMTP_USERNAME`` / ``SMTP_PASSWORD``, a
Kubernetes Secret on a cluster); it never reaches the outbox, a log line or an error message.
A 4xx SMTP reply or a connection problem is retried (next attempt or next run); a 5xx reply is
a permanent failure.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from glassbox.alerts._channel import Action
from glassbox.alerts._errors import PermanentDeliveryError, RetryableDeliveryError, redact
from glassbox.alerts._model import Alert, Severity


class EmailSettings(BaseModel):
    """Where alert emails go (the login is not here: see ``SMTP_USERNAME``/``SMTP_PASSWORD``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = Field(min_length=1)
    port: int = Field(587, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    sender: str = Field(min_length=3, pattern=r"^[^@\s]+@[^@\s]+$")
    to: tuple[str, ...] = Field(min_length=1)
    min_severity: Literal["warning", "critical"] = "critical"


def email_message(alert: Alert, action: Action, *, sender: str, to: tuple[str, ...],
                  runbook_base: str) -> EmailMessage:  # fmt: skip
    """The message: subject ``[Glassbox] CRITICAL model: check on feature``, a plain-text body
    with the summary, the numbers and the links, and a thread id per dedup key."""
    recovered = action == "resolve" or alert.severity is Severity.NONE
    label = "RECOVERED" if recovered else alert.severity.value.upper()
    message = EmailMessage()
    message["Subject"] = f"[Glassbox] {label} {alert.subject}"[:250]
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1])
    thread = f"<{alert.dedup_key}@glassbox>"
    message["References"] = thread
    message["X-Glassbox-Dedup-Key"] = alert.dedup_key
    lines = [
        f"{label}: {alert.subject}",
        "",
        alert.summary if not recovered else f"Recovered: {alert.summary}",
        "",
        f"Model:    {alert.model}",
        f"Check:    {alert.check}",
        f"Feature:  {alert.feature or '(whole dataset)'}",
        *(f"{key}: {value}" for key, value in alert.details.items()),
        "",
        *(f"{link.text}: {link.href}" for link in alert.links(runbook_base)),
        "",
        f"dedup key {alert.dedup_key}",
    ]
    message.set_content("\n".join(lines))
    return message


class EmailChannel:
    """Sends alert emails through an SMTP server."""

    name = "email"

    def __init__(
        self,
        settings: EmailSettings,
        *,
        username: str | None = None,
        password: str | SecretStr | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.settings = settings
        self._username = username or None
        self._password = SecretStr(password) if isinstance(password, str) else password
        self.timeout = timeout

    def __repr__(self) -> str:
        s = self.settings
        return f"EmailChannel(host={s.host!r}, port={s.port}, to={list(s.to)!r})"

    def secrets(self) -> tuple[str, ...]:
        return (self._password.get_secret_value(),) if self._password else ()

    def wants(self, severity: Severity) -> bool:
        return severity.rank >= Severity(self.settings.min_severity).rank

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.security == "ssl":
            return smtplib.SMTP_SSL(
                s.host, s.port, timeout=self.timeout, context=ssl.create_default_context()
            )
        client = smtplib.SMTP(s.host, s.port, timeout=self.timeout)
        if s.security == "starttls":
            client.starttls(context=ssl.create_default_context())
        return client

    def deliver(self, action: Action, alert: Alert, *, runbook_base: str) -> None:
        s = self.settings
        message = email_message(alert, action, sender=s.sender, to=s.to, runbook_base=runbook_base)
        try:
            with self._connect() as client:
                if self._username and self._password:
                    client.login(self._username, self._password.get_secret_value())
                client.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:  # every recipient refused: fix the config
            text = redact(f"email: recipients refused: {sorted(exc.recipients)}", self.secrets())
            raise PermanentDeliveryError(text) from None
        except smtplib.SMTPResponseException as exc:
            text = redact(f"email: SMTP {exc.smtp_code}: {exc.smtp_error!r}", self.secrets())
            if 400 <= exc.smtp_code < 500:
                raise RetryableDeliveryError(text, status=exc.smtp_code) from None
            raise PermanentDeliveryError(text, status=exc.smtp_code) from None
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            text = redact(f"email: {type(exc).__name__}: {exc}", self.secrets())
            raise RetryableDeliveryError(text) from None
