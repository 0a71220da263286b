"""Crash safety: SIGKILLed delivery processes lose nothing; duplicates only at the crash edge."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from glassbox.alerts._outbox import Outbox

from ._receiver import Received, Receiver
from .conftest import channel_env

WORKER = Path(__file__).with_name("_worker.py")


def _start(state: Path, receiver: Receiver, count: int, severity: str) -> subprocess.Popen[str]:
    env = {**os.environ, **channel_env(receiver, receiver)}
    return subprocess.Popen(
        [sys.executable, str(WORKER), str(state), str(count), severity],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_until(
    done: Callable[[], bool], proc: subprocess.Popen[str], what: str, timeout: float = 120
) -> None:
    """Poll ``done``; fail fast (with the worker's stderr) if the worker exits first."""
    deadline = time.monotonic() + timeout
    while True:
        dead = proc.poll() is not None  # read before `done`: a kill always follows its event
        if done():
            return
        if dead:
            _, err = proc.communicate()
            pytest.fail(f"worker exited ({proc.returncode}) before {what}: {err}")
        if time.monotonic() > deadline:
            pytest.fail(f"worker stalled before {what}")
        time.sleep(0.002)


def _wait_accepted(receiver: Receiver, count: int, proc: subprocess.Popen[str]) -> None:
    _wait_until(lambda: receiver.accepted_count >= count, proc, f"delivery {count}")


def _kill(proc: subprocess.Popen[str], receiver: Receiver) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    receiver.settle()  # what the dead process had sent is recorded under its generation
    receiver.generation += 1


def _duplicates(receiver: Receiver) -> tuple[Counter[tuple[str, str]], list[Received]]:
    """Count per (channel, dedup key); return the extra copies (every copy after the first)."""
    seen: Counter[tuple[str, str]] = Counter()
    extras = []
    for request in receiver.accepted():
        key = (request.channel, request.dedup_key)
        if seen[key]:
            extras.append(request)
        seen[key] += 1
    return seen, extras


def _assert_duplicates_only_at_crash_edges(receiver: Receiver, killed: set[int]) -> None:
    """Each duplicate's first copy is the last request a killed process got accepted."""
    accepted = receiver.accepted()
    last_of_generation = {r.generation: r for r in accepted}  # later ones overwrite
    _, extras = _duplicates(receiver)
    for extra in extras:
        original = next(
            r for r in accepted if (r.channel, r.dedup_key) == (extra.channel, extra.dedup_key)
        )
        assert original.body == extra.body, "a duplicate re-sends the very same message"
        assert original.generation in killed, "duplicate from a process that was not killed"
        assert last_of_generation[original.generation] is original, (
            "a duplicate must be the killed process's last accepted request"
        )


def _all_delivered(state: Path) -> None:
    outbox = Outbox(state)
    status = outbox.status()
    outbox.close()
    assert (status.pending, status.failed) == (0, 0)


def test_killed_mid_delivery_a_new_process_delivers_the_rest(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with Receiver(delay=0.01) as receiver:  # a slow Slack
        proc = _start(state, receiver, 100, "warning")
        _wait_accepted(receiver, 30, proc)
        time.sleep(random.uniform(0, 0.01))
        _kill(proc, receiver)
        delivered_before = receiver.accepted_count
        assert delivered_before < 100

        proc = _start(state, receiver, 100, "warning")
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert json.loads(out)["flushed"] >= 100 - delivered_before
        seen, extras = _duplicates(receiver)
        assert len(seen) == 100  # every alert, none lost
        assert len(extras) <= 1
        _assert_duplicates_only_at_crash_edges(receiver, killed={0})
    _all_delivered(state)


def test_fault_injection_1000_alerts_survive_repeated_sigkills(tmp_path: Path) -> None:
    """1000 critical alerts (2000 deliveries: Slack + PagerDuty), 8 SIGKILLs, then completion.

    Half the crashes are injected inside the receiver right after it accepted a message and
    before it answers (the worst moment: that message is certainly sent again); the others at
    random moments after a random number of deliveries.
    """
    rng = random.Random(20260301)
    state = tmp_path / "state"
    alerts, crashes = 1000, 8
    killed: set[int] = set()
    at_acceptance = 0
    with Receiver() as receiver:
        for crash in range(crashes):
            proc = _start(state, receiver, alerts, "critical")
            before = receiver.accepted_count
            target = before + rng.randint(60, 200)
            if crash % 2 == 0:  # kill from inside the receiver, at acceptance
                fired = threading.Event()

                def kill_at_acceptance(
                    _: Received,
                    p: subprocess.Popen[str] = proc,
                    t: int = target,
                    f: threading.Event = fired,
                ) -> None:
                    if not f.is_set() and receiver.accepted_count >= t:
                        f.set()
                        p.send_signal(signal.SIGKILL)

                receiver.on_accept = kill_at_acceptance
                _wait_until(fired.is_set, proc, f"the kill at delivery {target}")
                receiver.on_accept = None
                at_acceptance += 1
            else:
                _wait_accepted(receiver, target, proc)
                time.sleep(rng.uniform(0, 0.005))
            killed.add(receiver.generation)
            _kill(proc, receiver)

        proc = _start(state, receiver, alerts, "critical")
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        summary = json.loads(out)
        assert summary["pending"] == 0, summary

        seen, extras = _duplicates(receiver)
        assert len(seen) == 2 * alerts  # 0 lost: every (channel, alert) arrived
        assert {channel for channel, _ in seen} == {"slack", "pagerduty"}
        assert at_acceptance <= len(extras) <= crashes
        _assert_duplicates_only_at_crash_edges(receiver, killed)
        original_keys = {key for _, key in seen}
        assert all(extra.dedup_key in original_keys for extra in extras)
    _all_delivered(state)
