"""``analyze``: evidence + settings -> a ``CanaryAnalysis`` with a verdict and its reasons.

Verdict:

- **rollback** when any criterion fails (the challenger is significantly and materially worse);
- **promote** when every *required* criterion had its minimum sample size and passed (and at
  least one criterion was tested);
- **continue** otherwise: not enough data yet to decide.

The family-wise false-rollback rate of one analysis is ``alpha``: each of the k criteria tested
uses ``alpha / k`` (Bonferroni). Repeated looks at growing data (a canary step after step)
each spend ``alpha``: see docs/delivery.md.

Exit codes (``EXIT_CODES``), for scripts and the Argo Rollouts ``job`` metric provider (a Job
exiting 0 is a successful measurement, anything else a failed one): promote 0, rollback 1,
continue 3 (2 is an error: bad input, unreachable Prometheus).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from glassbox.delivery._criteria import EVALUATORS, NAMES, Context, CriterionResult, sizes
from glassbox.delivery._evidence import Evidence
from glassbox.delivery._settings import AnalysisSettings

Verdict = Literal["promote", "continue", "rollback"]
EXIT_CODES: dict[str, int] = {"promote": 0, "rollback": 1, "continue": 3}
EXIT_ERROR = 2


class CanaryAnalysis(BaseModel):
    """The analysis of a challenger against the champion (version 1 of the document)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal[1] = 1
    model: str
    champion_version: str
    challenger_version: str
    source: Literal["shadow", "prometheus"]
    window_start: datetime | None = None
    window_end: datetime | None = None
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    verdict: Verdict
    reasons: list[str]
    criteria: list[CriterionResult]
    alpha: float
    alpha_per_test: float
    run_id: str = Field("", description="MLflow run holding this analysis, once recorded")

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.verdict]

    def criterion(self, name: str) -> CriterionResult:
        for found in self.criteria:
            if found.name == name:
                return found
        raise KeyError(name)

    def metrics(self) -> dict[str, float]:
        """Finite figures for MLflow: ``canary.<criterion>.<figure>`` and the verdict's code."""
        out = {"canary.exit_code": float(self.exit_code)}
        for found in self.criteria:
            for key in ("champion", "challenger", "difference", "low", "high", "p_value"):
                value = getattr(found, key)
                if value is not None and math.isfinite(value):
                    out[f"canary.{found.name}.{key}"] = float(value)
            out[f"canary.{found.name}.n_challenger"] = float(found.n_challenger)
        return out

    def summary(self) -> str:
        """The verdict, then one line per criterion."""
        lines = [
            f"{self.model}: challenger v{self.challenger_version} against champion "
            f"v{self.champion_version} ({self.source}): {self.verdict.upper()}"
        ]
        for found in self.criteria:
            need = " required" if found.required else ""
            lines.append(f"  [{found.status:>12}{need}] {found.reason}")
        return "\n".join(lines)


def analyze(evidence: Evidence, settings: AnalysisSettings) -> CanaryAnalysis:
    """Test every enabled criterion the evidence allows and decide."""
    plan: dict[str, tuple[int, int] | str] = {}
    for name in NAMES:
        if getattr(settings, name).enabled:
            plan[name] = sizes(name, evidence)
    tested = [
        name
        for name, found in plan.items()
        if not isinstance(found, str) and min(found) >= getattr(settings, name).min_samples
    ]
    alpha_k = settings.alpha / max(len(tested), 1)
    ctx = Context(settings, alpha_k, np.random.default_rng(settings.seed))
    results = [_evaluate(name, found, evidence, ctx, tested) for name, found in plan.items()]
    verdict, reasons = decide(results)
    return CanaryAnalysis(
        model=evidence.model,
        champion_version=evidence.champion_version,
        challenger_version=evidence.challenger_version,
        source=evidence.source,
        window_start=evidence.window_start,
        window_end=evidence.window_end,
        verdict=verdict,
        reasons=reasons,
        criteria=results,
        alpha=settings.alpha,
        alpha_per_test=alpha_k,
    )


def _evaluate(
    name: str, found: tuple[int, int] | str, evidence: Evidence, ctx: Context, tested: list[str]
) -> CriterionResult:
    conf = getattr(ctx.settings, name)
    common = {"name": name, "required": conf.required, "min_samples": conf.min_samples}
    if isinstance(found, str):
        return CriterionResult(**common, status="skipped", reason=f"{name}: {found}")
    if name not in tested:
        return CriterionResult(
            **common,
            status="insufficient",
            n_champion=found[0],
            n_challenger=found[1],
            reason=f"{name}: {min(found)} of the {conf.min_samples} samples per side needed "
            f"(champion {found[0]}, challenger {found[1]})",
        )
    result = EVALUATORS[name](evidence, ctx, found)
    if isinstance(result, str):
        return CriterionResult(**common, status="skipped", reason=f"{name}: {result}")
    return result


def decide(results: list[CriterionResult]) -> tuple[Verdict, list[str]]:
    failed = [r for r in results if r.status == "fail"]
    if failed:
        return "rollback", [r.reason for r in failed]
    waiting = [r for r in results if r.required and r.status != "pass"]
    if waiting:
        return "continue", [r.reason for r in waiting]
    passed = [r.name for r in results if r.status == "pass"]
    if not passed:
        return "continue", ["no criterion could be tested yet"] + [r.reason for r in results]
    return "promote", [f"no significant worsening on {', '.join(passed)}"]
