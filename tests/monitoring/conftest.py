"""Shared fixtures: the real car-loan data and one fitted monitor (fitting takes seconds)."""

from __future__ import annotations

import pytest

import glassbox  # noqa: F401  (telemetry off before nannyml/evidently are imported)
from glassbox.monitoring import MonitoringResult, NannyMonitor

from ._carloan import DATA, CarLoan, load_car_loan


@pytest.fixture(scope="session")
def car_loan() -> CarLoan:
    return load_car_loan()


@pytest.fixture(scope="session")
def monitor(car_loan: CarLoan) -> NannyMonitor:
    """Default settings: 5 000-row chunks, Jensen-Shannon (+ chi2 for categories)."""
    return NannyMonitor(DATA).fit(car_loan.reference)


@pytest.fixture(scope="session")
def full_result(monitor: NannyMonitor, car_loan: CarLoan) -> MonitoringResult:
    """The whole analysis window with every delayed target arrived."""
    return monitor.calculate(car_loan.analysis, car_loan.targets)
