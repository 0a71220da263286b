"""The promotion gate: absolute floors and "not worse than the champion" via MLflow's validator."""

from glassbox.config import GateSettings
from glassbox.evaluation import gate

CONF = GateSettings(min_roc_auc=0.8, min_accuracy=0.7, champion_tolerance=0.01)


def test_passes_floors_without_a_champion() -> None:
    v = gate({"roc_auc": 0.9, "accuracy_score": 0.8}, None, CONF)
    assert v.passed and v.label == "passed"
    assert "no champion" in v.reasons


def test_fails_an_absolute_floor_and_names_the_metric() -> None:
    v = gate({"roc_auc": 0.79, "accuracy_score": 0.8}, None, CONF)
    assert not v.passed
    assert "roc_auc" in v.reasons and "0.8" in v.reasons


def test_slightly_worse_than_champion_within_tolerance_passes() -> None:
    champion = {"roc_auc": 0.905, "accuracy_score": 0.85}
    v = gate({"roc_auc": 0.900, "accuracy_score": 0.845}, champion, CONF)
    assert v.passed, v.reasons


def test_worse_than_champion_beyond_tolerance_fails() -> None:
    champion = {"roc_auc": 0.95, "accuracy_score": 0.85}
    v = gate({"roc_auc": 0.90, "accuracy_score": 0.86}, champion, CONF)
    assert not v.passed
    assert "roc_auc" in v.reasons
    assert v.thresholds["roc_auc"]["champion"] == 0.95


def test_equal_to_champion_passes() -> None:
    m = {"roc_auc": 0.93, "accuracy_score": 0.88}
    assert gate(dict(m), dict(m), CONF).passed
