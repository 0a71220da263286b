"""Fixtures: a scored batch and its audit."""

from __future__ import annotations

import pandas as pd
import pytest

from glassbox.audit import AuditBatch

from .helpers import audit_of, make_batch


@pytest.fixture
def scored() -> tuple[pd.DataFrame, pd.DataFrame]:
    return make_batch()


@pytest.fixture
def audited(scored: tuple[pd.DataFrame, pd.DataFrame]) -> AuditBatch:
    return audit_of(*scored)
