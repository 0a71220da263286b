"""Local runs: a desktop notification via plyer, or the terminal when there is no desktop."""

from __future__ import annotations

import os
import sys
import warnings
from typing import TextIO

from glassbox.alerts._channel import Action
from glassbox.alerts._model import Alert, Severity

MESSAGE_MAX = 256  # notification daemons truncate long bodies anyway


def _has_desktop() -> bool:
    """Linux without an X11/Wayland display has nowhere to show a notification."""
    if not sys.platform.startswith("linux"):
        return True
    return any(os.environ.get(var) for var in ("DISPLAY", "WAYLAND_DISPLAY"))


class DesktopChannel:
    """Shows the alert with plyer; prints it to ``stream`` (stderr) when plyer cannot."""

    name = "desktop"

    def __init__(self, *, app_name: str = "Glassbox", stream: TextIO | None = None) -> None:
        self.app_name = app_name
        self._stream = stream

    def secrets(self) -> tuple[str, ...]:
        return ()

    def deliver(self, action: Action, alert: Alert, *, runbook_base: str) -> None:
        recovered = action == "resolve" or alert.severity is Severity.NONE
        title = f"RECOVERED {alert.subject}" if recovered else alert.title
        if not (_has_desktop() and self._notify(title, alert.summary)):
            self._print(title, alert, runbook_base)

    def _notify(self, title: str, message: str) -> bool:
        try:
            from plyer import notification

            with warnings.catch_warnings():  # plyer warns about every backend it lacks
                warnings.simplefilter("ignore")
                notification.notify(
                    title=title[:64],
                    message=message[:MESSAGE_MAX],
                    app_name=self.app_name,
                    timeout=15,
                )
        except Exception:  # NotImplementedError: no backend; anything else: broken backend
            return False
        return True

    def _print(self, title: str, alert: Alert, runbook_base: str) -> None:
        stream = self._stream if self._stream is not None else sys.stderr
        lines = [f"[{self.app_name} alert] {title}", f"  {alert.summary}"]
        lines += [f"  {link.text}: {link.href}" for link in alert.links(runbook_base)]
        print("\n".join(lines), file=stream, flush=True)
