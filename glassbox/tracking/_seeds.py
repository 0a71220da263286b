"""One pipeline seed, propagated to every source of randomness a step touches."""

from __future__ import annotations

import os
import random


def seed_everything(seed: int) -> dict[str, str]:
    """Seed python ``random`` and numpy; return the seed params to log (the model gets ``seed``
    as ``random_state``). ``PYTHONHASHSEED`` only takes effect at interpreter start, so the
    manifest sets it in the pod's env; the value actually in force is logged, not assumed."""
    import numpy as np

    random.seed(seed)
    np.random.seed(seed % 2**32)
    return {
        "seed": str(seed),
        "seed.python_random": str(seed),
        "seed.numpy": str(seed % 2**32),
        "seed.model_random_state": str(seed % 2**32),
        "seed.PYTHONHASHSEED": os.environ.get("PYTHONHASHSEED", "unset"),
    }
