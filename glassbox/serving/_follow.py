"""Following an alias: when ``champion`` moves, load the new version and swap it in.

How the server learns: it polls the registry every ``alias_poll_seconds`` (one
``get_model_version_by_alias`` call), and checks at once on ``SIGHUP`` or
``POST /admin/reload``. The new version is loaded completely (estimator, fingerprint check,
contract, reference profile) on this thread while the old one keeps serving; then the swap is
one assignment on the event loop. Requests validated against the old version are predicted by
it; every request after the swap gets the new one. Nothing is dropped. A version that fails to
load is not swapped in (the old one keeps serving); it is tried again after 5 minutes, or at
once if the alias moves on.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from glassbox.errors import GlassboxError

if TYPE_CHECKING:
    from glassbox.serving._model import ServedModel
    from glassbox.serving._settings import ServingSettings

log = logging.getLogger("glassbox.serving")
RETRY_FAILED_SECONDS = 300.0


class AliasFollower(threading.Thread):
    def __init__(
        self,
        uri: str,
        settings: ServingSettings,
        current: Callable[[], ServedModel | None],
        on_new: Callable[[ServedModel], None],
        *,
        on_gone: Callable[[], None] | None = None,
        name: str = "glassbox-alias-follower",
    ) -> None:
        super().__init__(name=name, daemon=True)
        self.uri = uri
        self.settings = settings
        self._current = current
        self._on_new = on_new
        self._on_gone = on_gone  # the alias points nowhere (None: an error like any other)
        self._poke = threading.Event()
        self._stop = threading.Event()
        self.checks = 0
        self.failed: tuple[str, float] | None = None  # (version, when) of the last failed load
        self.last_error: str | None = None

    def poke(self) -> None:
        """Check the alias now (SIGHUP, POST /admin/reload)."""
        self._poke.set()

    def stop(self) -> None:
        self._stop.set()
        self._poke.set()

    def run(self) -> None:
        while not self._stop.is_set():
            self._poke.wait(self.settings.alias_poll_seconds)
            self._poke.clear()
            if self._stop.is_set():
                return
            self.check()

    def check(self) -> bool:
        """Resolve the alias; load and hand over a new version. True if one was handed over."""
        from glassbox.serving._model import AliasNotSetError, load, resolve

        self.checks += 1
        current = self._current()
        try:
            try:
                ref = resolve(self.uri)
            except AliasNotSetError:
                if self._on_gone is None:
                    raise
                self.last_error = None
                if current is not None:
                    log.info("alias %s is not set any more", self.uri)
                    self._on_gone()
                return False
            if current is not None and ref.version == current.ref.version:
                return False
            failed = self.failed
            recent = failed is not None and time.monotonic() - failed[1] < RETRY_FAILED_SECONDS
            if recent and failed is not None and failed[0] == ref.version:
                return False  # loading it failed a moment ago: do not reload it every poll
            log.info("alias %s moved to version %s: loading it", self.uri, ref.version)
            try:
                model = load(ref, self.settings)
            except (GlassboxError, OSError):
                self.failed = (ref.version, time.monotonic())
                raise
        except (GlassboxError, OSError) as exc:
            self.last_error = str(exc)
            log.error(
                "alias %s: new version not loaded, still serving the old one: %s", self.uri, exc
            )
            return False
        except Exception as exc:  # the registry unreachable: keep serving, retry next poll
            self.last_error = f"{type(exc).__name__}: {exc}"
            log.warning("alias %s: registry check failed: %s", self.uri, self.last_error)
            return False
        self.last_error = None
        self._on_new(model)
        return True
