"""The real NannyML car-loan data as the monitoring tests see it.

Reference = NannyML's training history with its model's own y_pred_proba/y_pred (the role our
model's predictions play in production); analysis = the production window; targets arrive later.
The documented drift starts in the middle of the analysis period (row 25 000 of 50 000).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd

import glassbox  # noqa: F401  (telemetry off before nannyml/evidently are imported)
from glassbox.config import DataSettings
from glassbox.data import CAR_LOAN, resolve
from glassbox.monitoring import MonitoringResult

DATA = DataSettings()
# Found by running the monitor on the data (see test_nannyml), not taken from the docs: these
# four move from the middle of the analysis period on; the other three never move.
MOVED = ("car_value", "loan_length", "salary_range", "repaid_loan_on_prev_car")
STABLE = ("debt_to_income_ratio", "driver_tenure", "size_of_downpayment")


@dataclass(frozen=True)
class CarLoan:
    reference: pd.DataFrame
    analysis: pd.DataFrame
    targets: pd.DataFrame

    @property
    def midpoint(self) -> datetime:
        """First timestamp of the second half of the analysis period."""
        ordered = self.analysis.sort_values("timestamp", kind="stable")
        return pd.Timestamp(ordered["timestamp"].iloc[len(ordered) // 2]).to_pydatetime()

    @property
    def second_half_ids(self) -> pd.Series:
        ordered = self.analysis.sort_values("timestamp", kind="stable")
        return ordered["id"].iloc[len(ordered) // 2 :]


def load_car_loan() -> CarLoan:
    reference = pd.read_csv(resolve(CAR_LOAN, "reference"))
    analysis = pd.read_csv(resolve(CAR_LOAN, "production"))
    targets = pd.read_csv(resolve(CAR_LOAN, "targets"))
    for frame in (reference, analysis):
        frame["timestamp"] = pd.to_datetime(frame["timestamp"])
    return CarLoan(reference, analysis, targets)


def second_half(result: MonitoringResult, midpoint: datetime) -> set[int]:
    return {c.index for c in result.chunks if c.start is not None and c.start >= midpoint}


def first_half(result: MonitoringResult, midpoint: datetime) -> set[int]:
    return {c.index for c in result.chunks if c.end is not None and c.end < midpoint}
