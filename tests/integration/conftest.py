"""Session fixtures: real pipeline runs shared by the integration tests (each is minutes)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.integration._pipeline import PipelineRun, glassbox


def _check(name: str, r: PipelineRun) -> PipelineRun:
    assert r.returncode == 0, f"run {name} failed:\n{r.stdout[-4000:]}\n{r.stderr[-4000:]}"
    return r


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> PipelineRun:
    """The training pipeline, seed 42, with the network off (a fresh network namespace)."""
    home = tmp_path_factory.mktemp("a")
    return _check("a", glassbox(home, "run", "training", "-p", "seed=42", offline=True))


@pytest.fixture(scope="session")
def runs(trained: PipelineRun, tmp_path_factory: pytest.TempPathFactory) -> dict[str, PipelineRun]:
    """Plus seed 42 again and seed 7, side by side, each in its own store (so each run's model
    is its own champion)."""
    with ThreadPoolExecutor(2) as pool:
        b = pool.submit(glassbox, tmp_path_factory.mktemp("b"), "run", "training", "-p", "seed=42")
        c = pool.submit(glassbox, tmp_path_factory.mktemp("c"), "run", "training", "-p", "seed=7")
        return {"a": trained, "b": _check("b", b.result()), "c": _check("c", c.result())}
