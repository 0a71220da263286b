"""Fixtures: a reference frame, its contract, and a clean production batch."""

from __future__ import annotations

import pandas as pd
import pytest

from glassbox.quality import DataContract

from ._frames import CONTRACT_COLUMNS, loans


@pytest.fixture(scope="session")
def reference() -> pd.DataFrame:
    return loans(3_000, seed=1)


@pytest.fixture(scope="session")
def contract(reference: pd.DataFrame) -> DataContract:
    return DataContract.infer(reference, **CONTRACT_COLUMNS)


@pytest.fixture
def batch(reference: pd.DataFrame) -> pd.DataFrame:
    """Production rows from the same process; ``repaid`` is unknown yet, as in production."""
    return loans(2_000, seed=2, first_id=10_000).drop(columns=["repaid"])
