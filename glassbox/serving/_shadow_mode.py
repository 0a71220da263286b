"""Shadow mode wired into a running server: the challenger alias followed, the scorer, the files
logged to the serving run, and each challenger change recorded on it (see ``_shadow``)."""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from glassbox.serving._follow import AliasFollower
from glassbox.serving._shadow import ShadowScorer
from glassbox.serving._shadow_files import ShadowUploader

if TYPE_CHECKING:
    from glassbox.serving._access_log import AccessLog
    from glassbox.serving._batch import BatchOutcome
    from glassbox.serving._metrics import ServingMetrics
    from glassbox.serving._model import ServedModel
    from glassbox.serving._settings import ServingSettings

log = logging.getLogger("glassbox.serving")
TAG = "glassbox.serving.shadow."


def shadow_root(settings: ServingSettings) -> Path:
    """``serving.shadow.dir``, else ``$GLASSBOX_HOME/serving/shadow``."""
    from glassbox.tracking import glassbox_home

    return Path(settings.shadow.dir or glassbox_home() / "serving" / "shadow").resolve()


def challenger_alias(settings: ServingSettings) -> str:
    from glassbox.config import settings as load_settings

    return settings.shadow.alias or load_settings().delivery.challenger_alias


class ShadowMode:
    def __init__(
        self,
        settings: ServingSettings,
        champion: ServedModel,
        run_id: str,
        metrics: ServingMetrics,
        access_log: AccessLog,
    ) -> None:
        self.settings = settings
        self.run_id = run_id
        self.alias = challenger_alias(settings)
        self.uri = f"models:/{champion.ref.name}@{self.alias}"
        self.root = shadow_root(settings)
        self.access_log = access_log
        self.uploader = ShadowUploader(self.root, settings.shadow.keep_logged_files)
        self.scorer = ShadowScorer(
            settings.shadow,
            self.root / run_id,
            metrics,
            settings.model_threads,
            self.uploader.notify,
        )
        self.follower = AliasFollower(
            self.uri,
            settings,
            lambda: self.scorer.challenger,
            self._use,
            on_gone=lambda: self._use(None),
            name="glassbox-challenger-follower",
        )
        self._changes = 0
        self._lock = threading.Lock()

    def start(self) -> None:
        threading.Thread(target=self._recover, name="glassbox-shadow-recover", daemon=True).start()
        self.uploader.start()
        self.scorer.start()
        self.follower.start()
        self.follower.poke()  # load the challenger now, not after the first poll interval

    def poke(self) -> None:
        self.follower.poke()

    def offer(self, outcome: BatchOutcome) -> None:
        self.scorer.offer(outcome)

    def describe(self) -> dict[str, Any]:
        return {"enabled": True, "alias": self.alias} | self.scorer.describe()

    def summary(self) -> dict[str, float]:
        """The serving run's periodic shadow metrics."""
        stats = self.scorer.stats
        return {
            "serving.shadow.records": float(stats.records),
            "serving.shadow.errors": float(stats.errors),
            "serving.shadow.dropped": float(stats.dropped),
        }

    def stop(self, timeout: float) -> bool:
        """Score the queued batches, close and log the open file; True when all is logged."""
        self.follower.stop()
        deadline = time.monotonic() + timeout
        scored = self.scorer.close(timeout)
        logged = self.uploader.stop(max(1.0, deadline - time.monotonic()))
        return scored and logged

    def _use(self, model: ServedModel | None) -> None:
        """From the follower thread: the challenger alias moved (or was removed)."""
        old = self.scorer.challenger
        self.scorer.set_challenger(model)
        event = {
            "alias": self.alias,
            "from_version": old.ref.version if old is not None else None,
            "to_version": model.ref.version if model is not None else None,
            "at": time.time(),
        }
        log.info("shadow: @%s now %s", self.alias, event["to_version"] or "unset")
        self.access_log.write({"event": "shadow_challenger"} | event)
        threading.Thread(
            target=self._record, args=(event,), name="glassbox-shadow-record", daemon=True
        ).start()

    def _record(self, event: dict[str, Any]) -> None:
        import mlflow

        with self._lock:
            self._changes += 1
            n = self._changes
        tags = {
            TAG + "challenger_version": str(event["to_version"] or ""),
            TAG + "changes": str(n),
            TAG + f"change.{n}": json.dumps(event, sort_keys=True),
            TAG + "dir": str(self.root / self.run_id),
        }
        try:
            client = mlflow.MlflowClient()
            for key, value in tags.items():
                client.set_tag(self.run_id, key, value)
        except Exception as exc:
            log.warning("shadow: challenger change not recorded on the serving run (%s)", exc)

    def _recover(self) -> None:
        try:
            count = self.uploader.recover(self.run_id)
        except Exception as exc:
            log.warning("shadow: files of earlier runs not recovered (%s)", exc)
            return
        if count:
            log.info("shadow: logged %d file(s) earlier servers left behind", count)
