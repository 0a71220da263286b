"""The promotion gate's verdict as a typed record, and how it reads on a console.

The evaluate step writes a :class:`GateReport` to ``gate/gate.json`` on its run and as its
``verdict`` output parameter; ``glassbox run`` prints it when the gate failed — every criterion
with its value and threshold, and the champion comparison, e.g.::

    gate failed: the candidate model was not registered
      FAIL  roc_auc         0.5021 < floor 0.8000
      FAIL  accuracy_score  0.5110 < floor 0.7000
      champion: none yet (nothing to compare with; the floors decide)
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from glassbox.errors import TrackingError

if TYPE_CHECKING:
    from glassbox.config import GateSettings, Task
    from glassbox.evaluation import GateVerdict

REPORT_VERSION: Literal[1] = 1
REPORT_PATH = "gate/gate.json"
NO_CHAMPION = "none"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Criterion(_Frozen):
    """One check of the gate: a metric against its floor (or, for an error metric such as
    RMSE, its ceiling), or against the champion."""

    metric: str
    check: Literal["floor", "ceiling", "champion"]
    value: float
    threshold: float
    passed: bool
    greater_is_better: bool = True

    def describe(self, champion_version: str | None, tolerance: float) -> str:
        signs = (">=", "<") if self.greater_is_better else ("<=", ">")
        sign = signs[0] if self.passed else signs[1]
        state = "ok  " if self.passed else "FAIL"
        if self.check != "champion":
            against = f"{self.check} {self.threshold:.4f}"
        else:
            against = (
                f"champion v{champion_version} {self.threshold + tolerance:.4f} "
                f"- tolerance {tolerance:g} = {self.threshold:.4f}"
            )
        return f"{state}  {self.metric:<15} {self.value:.4f} {sign} {against}"


class GateReport(_Frozen):
    """The gate's outcome on the held-out split (``gate/gate.json``, version 1)."""

    version: Literal[1] = REPORT_VERSION
    verdict: Literal["passed", "failed"]
    reasons: str
    criteria: list[Criterion] = Field(min_length=1)
    candidate: dict[str, float]
    champion_version: str | None = None
    champion: dict[str, float] | None = None
    tolerance: float = Field(ge=0)

    @classmethod
    def build(
        cls,
        verdict: GateVerdict,
        candidate: dict[str, float],
        champion: dict[str, float] | None,
        champion_version: str | None,
        conf: GateSettings,
        *,
        task: Task = "classification",
    ) -> GateReport:
        """Each gated metric against its floor or ceiling and, when there is a champion,
        against the champion's value on the same rows minus the tolerance (MLflow's verdict
        stands)."""
        from glassbox.evaluation import gated

        criteria = []
        for g in gated(conf, task, champion is not None):
            value, limit, higher = candidate[g.metric], g.limit(conf), g.greater_is_better
            if limit is not None:
                check: Literal["floor", "ceiling"] = "floor" if higher else "ceiling"
                criteria.append(_criterion(g.metric, check, value, limit, higher))
            if champion is not None and g.champion:
                limit = champion[g.metric] - conf.champion_tolerance
                criteria.append(_criterion(g.metric, "champion", value, limit, higher))
        return cls(
            verdict="passed" if verdict.passed else "failed",
            reasons=verdict.reasons,
            criteria=criteria,
            candidate=candidate,
            champion_version=champion_version,
            champion=champion,
            tolerance=conf.champion_tolerance,
        )

    @property
    def passed(self) -> bool:
        return self.verdict == "passed"

    @property
    def failed_criteria(self) -> list[Criterion]:
        return [c for c in self.criteria if not c.passed]

    def lines(self) -> list[str]:
        """The verdict for a console: headline, one line per criterion, the champion."""
        head = (
            "gate passed: the candidate model clears every criterion"
            if self.passed
            else "gate failed: the candidate model was not registered"
        )
        out = [head]
        out += [f"  {c.describe(self.champion_version, self.tolerance)}" for c in self.criteria]
        if self.champion is None:
            out.append("  champion: none yet (nothing to compare with; the floors decide)")
        else:
            gated = {c.metric for c in self.criteria}
            shown = ", ".join(f"{k} {v:.4f}" for k, v in self.champion.items() if k in gated)
            out.append(f"  champion: v{self.champion_version} on the same held-out rows: {shown}")
        if not self.passed and not self.failed_criteria:
            out.append(f"  MLflow: {self.reasons}")
        return out

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)

    def to_line(self) -> str:
        """One JSON line: the evaluate step's ``verdict`` output parameter."""
        return self.model_dump_json()

    @classmethod
    def parse(cls, text: str, source: str) -> GateReport:
        """A report from its JSON (``gate/gate.json`` or the ``verdict`` parameter)."""
        try:
            return cls.model_validate_json(text)
        except ValidationError as exc:
            raise TrackingError(
                f"{source}: not a gate report ({exc.error_count()} problem(s), first: "
                f"{exc.errors()[0]['msg']})"
            ) from None


def _criterion(
    metric: str,
    check: Literal["floor", "ceiling", "champion"],
    value: float,
    limit: float,
    greater_is_better: bool,
) -> Criterion:
    passed = value >= limit if greater_is_better else value <= limit
    return Criterion(
        metric=metric,
        check=check,
        value=value,
        threshold=limit,
        passed=passed,
        greater_is_better=greater_is_better,
    )


def load_report(evaluate_run_id: str) -> GateReport:
    """The report the evaluate step logged on its run (``gate/gate.json``)."""
    import os

    import mlflow.artifacts
    from mlflow.exceptions import MlflowException

    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # a console command
    try:
        local = mlflow.artifacts.download_artifacts(
            run_id=evaluate_run_id, artifact_path=REPORT_PATH, dst_path=tempfile.mkdtemp()
        )
    except (MlflowException, OSError) as exc:
        raise TrackingError(
            f"evaluate run {evaluate_run_id}: no {REPORT_PATH} ({type(exc).__name__})"
        ) from None
    return GateReport.parse(Path(local).read_text(), f"evaluate run {evaluate_run_id}")
