"""A monitoring run in its own process: flush the outbox, then send N alerts (crash tests).

usage: python _worker.py STATE_DIR N_ALERTS SEVERITY
Channels come from the environment exactly as in a cron pod (SLACK_WEBHOOK_URL, ...).
"""

from __future__ import annotations

import json
import sys

import glassbox  # noqa: F401  (telemetry off first)
from glassbox.alerts import Alert, AlertRouter, AlertSettings


def main() -> None:
    state_dir, count, severity = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    settings = AlertSettings.load(  # plus GLASSBOX_ALERTS__* from the environment, as in a pod
        {
            "state_dir": state_dir,
            "retry": {"attempts": 5, "wait_initial": 0.01, "wait_max": 0.05, "wait_jitter": 0},
            # generous: a client-side timeout after the receiver accepted would be a duplicate
            # that no crash caused, and the test counts duplicates against crashes
            "http_timeout_seconds": 30,
        }
    )
    alerts = [
        Alert(
            model="crash-test",
            check="data_drift",
            feature=f"feature_{i:04d}",
            severity=severity,
            summary=f"feature_{i:04d} drifted",
            details={"psi": 0.3, "index": i},
        )
        for i in range(count)
    ]
    with AlertRouter.from_env(settings) as router:
        first = router.flush()  # what an earlier (killed) run left behind
        report = router.send(alerts)  # already-decided alerts are suppressed by the cooldown
    summary = {
        "flushed": first.delivered,
        "delivered": report.flush.delivered,
        "pending": report.flush.pending,
        "deferred": {**first.deferred, **report.flush.deferred},
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
