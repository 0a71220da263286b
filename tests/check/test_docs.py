"""docs/monitor.md documents every field monitor.json has, and no field it lacks."""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from glassbox.check import MonitorOptions, check

from ._data import features
from ._docs import documented_fields, section


def _document() -> dict[str, Any]:
    current = features(2_000, seed=2)
    current.loc[np.arange(0, 2_000, 2), "age"] = np.nan
    return check(features(2_000, seed=1), current, MonitorOptions.create(report=False)).document


def test_every_field_is_documented_and_every_documented_field_exists() -> None:
    doc = _document()
    assert documented_fields("Top level") == set(doc)
    entry = doc["features"]["age"]
    assert documented_fields("Column entry") == set(entry)
    statistics = set(
        re.findall(r"`([a-z_0-9]+)`", section("Column entry").split("`statistics`:")[1])
    )
    assert statistics == set(entry["statistics"])
    (finding,) = doc["quality"]
    assert documented_fields("Quality finding") == set(finding)
    (alert,) = doc["alerts"]
    assert documented_fields("Alert") == set(alert)
    assert all(documented_fields("Finding") == set(f) for f in doc["findings"])
