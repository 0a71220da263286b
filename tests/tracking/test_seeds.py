"""Seeds: python, numpy, and torch / tensorflow when installed (recorded as absent here)."""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path

import numpy as np
import pytest

from glassbox.tracking import seed_everything

FAKE_TORCH = """
__version__ = "9.9.9-stand-in"
calls = []
def manual_seed(seed):
    calls.append(("manual_seed", seed))
def use_deterministic_algorithms(flag, warn_only=False):
    calls.append(("deterministic", flag, warn_only))
class backends:
    class cudnn:
        benchmark = True
"""
FAKE_TENSORFLOW = """
__version__ = "8.8.8-stand-in"
calls = []
class random:
    @staticmethod
    def set_seed(seed):
        calls.append(("set_seed", seed))
class config:
    class experimental:
        @staticmethod
        def enable_op_determinism():
            calls.append(("op_determinism",))
"""


def test_python_and_numpy_are_seeded_and_absent_frameworks_are_recorded_as_absent() -> None:
    params = seed_everything(7)
    first = (random.random(), np.random.rand())
    seed_everything(7)
    assert (random.random(), np.random.rand()) == first
    assert params["seed"] == "7"
    for framework in ("torch", "tensorflow"):
        if importlib.util.find_spec(framework) is None:
            assert params[f"seed.{framework}"] == "absent"


def test_installed_frameworks_are_seeded_deterministically_and_their_version_logged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stand-in modules on sys.path (torch is not installed here, and CUDA torch must not be)
    record what seed_everything calls."""
    for name, source in (("torch", FAKE_TORCH), ("tensorflow", FAKE_TENSORFLOW)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text(source)
        monkeypatch.delitem(sys.modules, name, raising=False)
    monkeypatch.syspath_prepend(str(tmp_path))
    params = seed_everything(2**40 + 3)
    torch, tf = sys.modules["torch"], sys.modules["tensorflow"]
    seed = (2**40 + 3) % 2**32
    assert torch.calls == [("manual_seed", seed), ("deterministic", True, True)]
    assert torch.backends.cudnn.benchmark is False
    assert tf.calls == [("set_seed", seed), ("op_determinism",)]
    assert params["seed.torch"] == params["seed.tensorflow"] == str(seed)
    assert params["seed.torch.version"] == "9.9.9-stand-in"
    assert params["seed.tensorflow.op_determinism"] == "true"
