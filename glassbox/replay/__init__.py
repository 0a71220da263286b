"""``glassbox replay``: run a recorded step (or a whole pipeline run) again and prove the
output identical, or name the first difference.

The record says everything needed: the step's arguments, seeds and ``PYTHONHASHSEED``, the
registry state it saw, its input datasets with digests, the git commit and the lock digest.
A replay checks the stored inputs against their digests, checks out the recorded commit in a
git worktree (``at=REF`` runs other code), checks the installed distributions against the
recorded lock, runs the step in a fresh workflow identity and a separate experiment
(``<experiment>-replay``) without touching the registry, and compares model fingerprint,
dataset digests, audit record hashes and chain root, metrics and verdicts. The replay is an
MLflow run tagged ``glassbox.replay_of`` with the report attached.
"""

from glassbox.replay._checkout import ReplayRefusedError
from glassbox.replay._replay import replay_pipeline, replay_step
from glassbox.replay._report import REPLAY_FORMAT, Difference, ReplayReport, StepReplay

__all__ = [
    "REPLAY_FORMAT",
    "Difference",
    "ReplayRefusedError",
    "ReplayReport",
    "StepReplay",
    "replay_pipeline",
    "replay_step",
]
