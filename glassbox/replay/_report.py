"""What a replay found, typed (``glassbox replay --json``) and as text."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

REPLAY_FORMAT = "glassbox.replay/1"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Difference(_Model):
    """One way the replay departs from the record."""

    step: str
    what: str
    recorded: str
    replayed: str
    found_in: str = "replay"  # "replay", or "store" for a recorded artifact re-read today

    def describe(self) -> str:
        now = "now" if self.found_in == "store" else "replay"
        return f"{self.step}: {self.what}: recorded {self.recorded}, {now} {self.replayed}"


class StepReplay(_Model):
    step: str
    original_run_id: str
    replay_run_id: str | None = None
    status: str = "not run"
    identical: list[str] = Field(default_factory=list)  # what was compared and matched
    differences: list[Difference] = Field(default_factory=list)


class CodeUsed(_Model):
    recorded_commit: str | None
    replayed_commit: str
    at: str | None = None  # the --at REF, when other code was asked for
    recorded_lock_sha256: str | None = None
    lock_note: str = ""


class ReplayReport(_Model):
    format: str = REPLAY_FORMAT
    mode: Literal["step", "pipeline"]
    original_run_id: str
    replay_pipeline_run_id: str | None = None
    code: CodeUsed
    steps: list[StepReplay] = Field(default_factory=list)
    stored: list[Difference] = Field(default_factory=list)  # record artifacts vs their digests

    @property
    def differences(self) -> list[Difference]:
        return [*self.stored, *(d for s in self.steps for d in s.differences)]

    @property
    def verdict(self) -> str:
        return "identical" if not self.differences else "different"

    @property
    def first_difference(self) -> Difference | None:
        found = self.differences
        return found[0] if found else None

    def render(self) -> str:
        c = self.code
        at = f" (--at {c.at})" if c.at else " (the recorded commit)"
        lines = [
            f"replay of {self.mode} run {self.original_run_id}: {self.verdict.upper()}",
            f"code: commit {c.replayed_commit}{at}; recorded commit {c.recorded_commit}",
        ]
        if c.lock_note:
            lines.append(f"environment: {c.lock_note}")
        if self.replay_pipeline_run_id:
            lines.append(f"replay record: pipeline run {self.replay_pipeline_run_id}")
        first = self.first_difference
        if first is not None:
            lines.append(f"first difference: {first.describe()}")
        lines += [f"stored artifact changed: {d.describe()}" for d in self.stored[1:]]
        for s in self.steps:
            state = "identical" if not s.differences else f"{len(s.differences)} difference(s)"
            lines.append(
                f"  {s.step:10s} run {s.original_run_id} -> {s.replay_run_id or '-'} "
                f"[{s.status}] {state}"
            )
            lines += [f"      = {item}" for item in s.identical]
            lines += [
                f"      ! {d.what}: recorded {d.recorded}, replay {d.replayed}"
                for d in s.differences
            ]
        return "\n".join(lines)
