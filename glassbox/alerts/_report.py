"""What a send or a flush did, for the cron step's log and exit status."""

from __future__ import annotations

from dataclasses import dataclass, field

from glassbox.alerts._policy import Decision


@dataclass(frozen=True)
class DeliveryFailure:
    """One outbox row this run could not deliver (the error text is already redacted)."""

    row_id: int
    channel: str
    dedup_key: str
    error: str
    permanent: bool


@dataclass(frozen=True)
class FlushReport:
    delivered: int = 0
    pending: int = 0
    failures: tuple[DeliveryFailure, ...] = ()
    deferred: dict[str, str] = field(default_factory=dict)  # channel -> why skipped this run
    by_channel: dict[str, int] = field(default_factory=dict)  # channel -> rows delivered

    @property
    def failed(self) -> tuple[DeliveryFailure, ...]:
        """Permanent failures (4xx): recorded as ``failed`` in the outbox, never retried."""
        return tuple(f for f in self.failures if f.permanent)

    @property
    def ok(self) -> bool:
        """Everything in the outbox was delivered and nothing failed."""
        return self.pending == 0 and not self.failures

    def merge(self, other: FlushReport) -> FlushReport:
        return FlushReport(
            delivered=self.delivered + other.delivered,
            pending=other.pending,
            failures=self.failures + other.failures,
            deferred={**self.deferred, **other.deferred},
            by_channel={
                name: self.by_channel.get(name, 0) + other.by_channel.get(name, 0)
                for name in {*self.by_channel, *other.by_channel}
            },
        )


@dataclass(frozen=True)
class SendReport:
    decisions: tuple[Decision, ...]
    flush: FlushReport

    @property
    def sent(self) -> tuple[Decision, ...]:
        return tuple(d for d in self.decisions if d.sent)

    @property
    def resolved(self) -> tuple[Decision, ...]:
        """Recoveries in this send, each with its time to resolve (``resolved_after``)."""
        return tuple(d for d in self.decisions if d.resolved_after is not None)

    @property
    def suppressed(self) -> tuple[Decision, ...]:
        return tuple(d for d in self.decisions if d.outcome == "suppressed")
