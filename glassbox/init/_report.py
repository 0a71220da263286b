"""What ``glassbox init`` prints: what it inferred from each column and why, and what to run."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from glassbox.init._plan import InitPlan

_HINTS = {
    "timestamps": "--timestamp {name} makes it the event time",
    "(an id?)": "--id {name} makes it the prediction id",
}


def _column_line(name: str, kind: str | None, reason: str, width: int) -> str:
    if kind is not None:
        return f"  {name:<{width}}  {reason} → {kind}"
    hint = next((h for key, h in _HINTS.items() if key in reason), "")
    tail = f" ({hint.format(name=name)})" if hint else ""
    return f"  {name:<{width}}  {reason} → left out{tail}"


def _roles(plan: InitPlan) -> list[str]:
    data = plan.settings.data
    request = plan.request
    task = plan.settings.model.task
    lines = [f"  target      {data.target_column}: {plan.target} → {task}"]
    if data.id_column:
        lines.append(f"  id          {data.id_column}")
    else:
        lines.append(
            "  id          none: each row's id is derived from its features (column row_id)"
        )
    if data.timestamp_column:
        lines.append(f"  timestamp   {data.timestamp_column}: the newest rows are held out")
    else:
        fraction = f"{data.holdout_fraction:.0%}"
        lines.append(
            f"  timestamp   none: row order; the last {fraction} of the rows are held out, "
            "predictions are stamped with their scoring time, one monitoring partition"
        )
    if request.exclude:
        lines.append(f"  excluded    {', '.join(request.exclude)} (--exclude)")
    return lines


def _gate(plan: InitPlan) -> str:
    """The held-out criteria of the gate, in words."""
    gate = plan.settings.gate
    if plan.settings.model.task != "regression":
        return f"held-out ROC AUC >= {gate.min_roc_auc:g} and accuracy >= {gate.min_accuracy:g}"
    limits = [
        f"{label} {sign} {value:g}"
        for label, sign, value in (
            ("R²", ">=", gate.min_r2),
            ("RMSE", "<=", gate.max_rmse),
            ("MAE", "<=", gate.max_mae),
        )
        if value is not None
    ]
    unset = [name for name in ("max_rmse", "max_mae") if getattr(gate, name) is None]
    hint = f"; {' and '.join(unset)}: in the target's units, unset" if unset else ""
    return "held-out " + " and ".join(limits) + hint


def lines(plan: InitPlan, out: Path) -> list[str]:
    """The whole report, ending with the command to run next."""
    s = plan.settings
    request = plan.request
    width = max((len(g.name) for g in plan.guesses), default=8)
    report = [
        f"{request.reference}: {plan.rows:,} rows, {plan.columns} columns",
        *_roles(plan),
        "features:",
        *(_column_line(g.name, g.kind, g.reason, width) for g in plan.guesses),
        f"  → {len(s.data.numeric_features)} numeric, "
        f"{len(s.data.categorical_features)} categorical",
        f"model:  {s.tracking.registered_model} (experiment {s.tracking.experiment})",
        f"gate:   {_gate(plan)} (section gate: in the file)",
        f"data:   reference {Path(s.data.reference).name}, production "
        f"{Path(s.data.production).name}, targets {Path(s.data.targets).name}",
        *(f"note:   {note}" for note in plan.notes),
        f"wrote {out} (validated settings: edit it to change any of the above)",
        "",
        "next:",
        f"  glassbox --config {out} run training",
    ]
    if request.production is None:
        report.append(
            "  (it scores the reference file itself; add -p production=NEW.csv to score new data)"
        )
    return report
