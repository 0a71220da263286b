"""The trigger rules of ``delivery.triggers`` evaluated by the server on its live metrics.

Every ``serving.triggers.interval_seconds`` (off the event loop), the server offers the rules
the same metric names the monitoring cron offers: ``psi.<column>`` from the live drift window
(graded windows only), ``latency_p99_seconds`` and ``error_rate`` of the ``/predict`` requests
of the last five minutes (once ``serving.slo.min_requests`` were served). The decisions come from
the cron's ``glassbox.delivery.TriggerEngine`` on the same state (``delivery.state_dir``, scope
the registered model), so a rule's cooldown and the automatic-rollback guardrails hold across
the cron and the server. Acting is ``glassbox.delivery.act``:

- ``alert``: a ``delivery_trigger`` alert through glassbox.alerts;
- ``rollback``: ``glassbox model rollback`` by ``glassbox-trigger`` — only when the server
  follows ``@champion`` and the alias still points at the version it measured (replicas never
  roll back twice); the server's alias follower is poked and switches at once. A server
  serving a pinned version (``models:/NAME/V``, e.g. a ReplicaSet of the Argo Rollout) does not
  move the alias: the alert says so (there the Rollout's analysis aborts the canary);
- ``scale_down``: what one process can shed is the challenger's work: shadow scoring is paused
  for the rule's cooldown. The server cannot change its replica count (it has no Kubernetes API
  access): on Kubernetes the HorizontalPodAutoscaler owns replicas and, with Argo Rollouts,
  the ``glassbox-serving-slo`` analysis aborts a canary whose p99 crosses 0.5 s. With nothing to
  shed, the alert says that nothing was done and why.

Each fired decision is announced (alert) and recorded on the serving run (tag
``glassbox.serving.trigger.<n>``, metric ``serving.triggers.fired``).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from glassbox.delivery import TriggerDecision
    from glassbox.serving._service import Service

log = logging.getLogger("glassbox.serving")
WINDOW_SECONDS = 300.0


class ServerTriggers:
    def __init__(self, service: Service) -> None:
        from glassbox import delivery
        from glassbox.config import settings

        conf = settings()
        self.service = service
        self.conf = conf
        self.interval = service.settings.triggers.interval_seconds
        self.engine = delivery.TriggerEngine(
            conf.delivery.triggers,
            conf.delivery.resolved_state_dir(),
            guard=conf.delivery.automatic_rollback,
        )
        self._next = time.monotonic() + self.interval
        self._lock = threading.Lock()
        self.fired = 0
        self.outcomes: list[dict[str, Any]] = []

    def due(self, now: float) -> bool:
        if now < self._next:
            return False
        self._next = now + self.interval
        return True

    def metrics(self) -> dict[str, float]:
        """The live values, under the names the rules use (the cron's names)."""
        s = self.service
        out: dict[str, float] = {}
        summary = s.latency.summary(since=time.time() - WINDOW_SECONDS)
        if summary.requests >= s.settings.slo.min_requests:
            if summary.p99_ms is not None:
                out["latency_p99_seconds"] = summary.p99_ms / 1000.0
            if summary.error_rate is not None:
                out["error_rate"] = summary.error_rate
        live = s.last_drift
        if live is not None and live.result is not None and live.graded:
            for feature in live.result.features:
                out[f"psi.{feature.name}"] = float(feature.psi)
        return out

    def evaluate(self) -> list[str]:
        """Evaluate the rules once and act on what fires (one line per decision)."""
        with self._lock:  # one evaluation at a time (a slow MLflow must not stack them)
            try:
                return self._evaluate()
            except Exception as exc:  # the trigger state or MLflow unreachable: next time
                log.warning("triggers: evaluation failed (%s)", exc)
                return []

    def describe(self) -> dict[str, Any]:
        return {
            "rules": [
                {"rule": r.key, "metric": r.metric, "op": r.op, "threshold": r.threshold,
                 "action": r.action, "cooldown_seconds": r.cooldown_seconds}
                for r in self.engine.rules
            ],
            "interval_seconds": self.interval,
            "state": str(self.engine.path),
            "metrics": self.metrics(),
            "fired": self.fired,
            "recent": list(self.outcomes),
        }  # fmt: skip

    def _evaluate(self) -> list[str]:
        from glassbox import delivery
        from glassbox.tracking import run_url

        model = self.service.model
        values = self.metrics()
        if model is None or not values:
            return []
        fired = [d for d in self.engine.evaluate(values, scope=model.ref.name) if d.fired]
        if not fired:
            return []
        conf = self.conf
        life = delivery.Lifecycle.from_settings(
            conf.delivery, model.ref.name, conf.tracking.champion_alias
        )
        handlers = {"scale_down": self._scale_down}
        if model.ref.alias is None:
            handlers["rollback"] = self._pinned
        run = self.service.run.run_id
        lines = delivery.act(
            fired,
            life,
            alerts_section=conf.alerts,
            handlers=handlers,
            run_url=run_url(self._experiment_id(run), run) if run else None,
            guard=conf.delivery.automatic_rollback,
            expected_champion=model.ref.version,
        )
        for decision, line in zip(fired, lines, strict=True):
            log.warning("trigger: %s", line)
            self._record(decision, line, model.ref.version)
        moved = any(
            d.action == "rollback" and "rollback not done" not in line
            for d, line in zip(fired, lines, strict=True)
        )
        if moved and self.service.follower is not None:
            self.service.follower.poke()  # the alias moved: switch now, not at the next poll
        return lines

    def _scale_down(self, decision: TriggerDecision) -> str:
        shadow = self.service.shadow
        seconds = decision.rule.cooldown_seconds or 600.0
        if shadow is not None and shadow.scorer.state == "scoring":
            version = shadow.scorer.challenger.ref.version if shadow.scorer.challenger else "?"
            shadow.scorer.pause(seconds, f"scale_down trigger: {decision.reason}")
            return (
                f"scale_down: shadow scoring of challenger v{version} paused for {seconds:g} s "
                "on this server; replicas unchanged (no Kubernetes API access: the HPA owns "
                "them)"
            )
        return (
            "scale_down not done: this server shadows no challenger (nothing to shed) and "
            "cannot change its replica count (no Kubernetes API access: the HPA owns replicas; "
            "under Argo Rollouts the SLO analysis aborts a slow canary)"
        )

    def _pinned(self, decision: TriggerDecision) -> str:
        model = self.service.model
        pinned = model.ref.pinned_uri if model is not None else "a pinned version"
        return (
            f"rollback not done: this server serves {pinned}, not an alias, so moving "
            "@champion would not change what it serves (under Argo Rollouts the SLO analysis "
            "aborts the canary); roll back with `glassbox model rollback` or the Rollout"
        )

    def _record(self, decision: TriggerDecision, outcome: str, version: str) -> None:
        import mlflow
        from mlflow.entities import Metric, RunTag

        self.fired += 1
        self.service.metrics.trigger_fired(decision.action)
        event = {
            "rule": decision.rule.key,
            "action": decision.action,
            "metric": decision.metric,
            "value": decision.value,
            "threshold": decision.rule.threshold,
            "model_version": version,
            "outcome": outcome,
            "at": time.time(),
        }
        self.outcomes.append(event)
        del self.outcomes[:-50]
        self.service.access_log.write({"event": "trigger"} | event)
        run = self.service.run.run_id
        if not run:
            return
        try:
            mlflow.MlflowClient().log_batch(
                run,
                metrics=[
                    Metric(
                        "serving.triggers.fired", self.fired, int(time.time() * 1000), self.fired
                    )
                ],
                tags=[
                    RunTag(f"glassbox.serving.trigger.{self.fired}", json.dumps(event)[:4900]),
                    RunTag("glassbox.serving.triggers", str(self.fired)),
                ],
            )
        except Exception as exc:
            log.warning("trigger outcome not recorded on the serving run (%s)", exc)

    @staticmethod
    def _experiment_id(run_id: str) -> str:
        import mlflow

        return str(mlflow.MlflowClient().get_run(run_id).info.experiment_id)
