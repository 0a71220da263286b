"""One pipeline seed, propagated to every source of randomness a step touches."""

from __future__ import annotations

import importlib
import importlib.util
import os
import random
from collections.abc import Callable
from typing import Any


def _seed_torch(torch: Any, seed: int) -> dict[str, str]:
    torch.manual_seed(seed)  # CPU and every CUDA device
    torch.use_deterministic_algorithms(True, warn_only=True)
    if hasattr(torch, "backends") and hasattr(torch.backends, "cudnn"):
        torch.backends.cudnn.benchmark = False
    return {"seed.torch.deterministic_algorithms": "true"}


def _seed_tensorflow(tf: Any, seed: int) -> dict[str, str]:
    tf.random.set_seed(seed)
    tf.config.experimental.enable_op_determinism()
    return {"seed.tensorflow.op_determinism": "true"}


FRAMEWORKS: dict[str, Callable[[Any, int], dict[str, str]]] = {
    "torch": _seed_torch,
    "tensorflow": _seed_tensorflow,
}


def _frameworks(seed: int) -> dict[str, str]:
    """Seed torch and tensorflow when installed; record each as seeded, or ``absent``."""
    params: dict[str, str] = {}
    for name, seed_with in FRAMEWORKS.items():
        if importlib.util.find_spec(name) is None:
            params[f"seed.{name}"] = "absent"
            continue
        module = importlib.import_module(name)
        params |= seed_with(module, seed)
        params[f"seed.{name}"] = str(seed)
        params[f"seed.{name}.version"] = str(getattr(module, "__version__", "unknown"))
    return params


def seed_everything(seed: int) -> dict[str, str]:
    """Seed python ``random``, numpy, and torch / tensorflow when installed; return the seed
    params to log (the model gets ``seed`` as ``random_state``). ``PYTHONHASHSEED`` only takes
    effect at interpreter start, so the manifest sets it in the pod's env; the value actually
    in force is logged, not assumed."""
    import numpy as np

    random.seed(seed)
    np.random.seed(seed % 2**32)
    return {
        "seed": str(seed),
        "seed.python_random": str(seed),
        "seed.numpy": str(seed % 2**32),
        "seed.model_random_state": str(seed % 2**32),
        "seed.PYTHONHASHSEED": os.environ.get("PYTHONHASHSEED", "unset"),
    } | _frameworks(seed % 2**32)
