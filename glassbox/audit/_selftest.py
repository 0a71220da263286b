"""Before the native engine is used in a process, it must agree with the reference engine on a
batch that touches every path: numbers at the edges of the fast paths, missing values, strings
that need escaping, timestamps with and without a zone, booleans, categories, SHA-256 and HMAC.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SAMPLE_FLOATS = [
    0.1, 1e-4, 9.999e-05, 1e-05, -0.0, 3.0, -2.5, 0.8312, 1 / 3, 2 / 3, 123456789012345.6,
    1e15 + 0.5, 5e-324, 1.7976931348623157e308, 2.0**63, -(2.0**62), 39811.0, np.nan, np.inf,
    -np.inf, 0.5857, 1e16, 123.456, 1e9 + 0.25, 7e-3,
]  # fmt: skip


def sample() -> tuple[pd.DataFrame, pd.DataFrame]:
    n = len(SAMPLE_FLOATS)
    rng = np.random.default_rng(0)
    stamps = pd.date_range("1969-12-31 23:59:58.999999", periods=n, freq="37h13min7s123457ns")
    batch = pd.DataFrame(
        {
            "id": np.arange(10**12, 10**12 + n, dtype=np.int64),
            "ts": stamps,
            "x": SAMPLE_FLOATS,
            "i": rng.integers(-(2**62), 2**62, n),
            "b": rng.random(n) > 0.5,
            "s": rng.choice(['a"b', "c\\d", "é\n", "40K+ €", "\x01"], n).astype(object),
            "c": pd.Categorical(rng.choice(["lo", "hi"], n)),
            "t": pd.Series(stamps.tz_localize("Europe/Paris")).where(lambda s: s.index % 5 != 1),
        }
    )
    batch.loc[3, "s"] = None
    predictions = pd.DataFrame({"proba": rng.random(n), "label": rng.integers(0, 2, n)})
    return batch, predictions


def self_test() -> str:
    """``"ready"`` when the native and reference engines build identical audits."""
    from glassbox.audit._build import _Args, native_table, reference_table
    from glassbox.audit._cells import Fallback
    from glassbox.audit._chain import genesis
    from glassbox.audit._hashing import Hasher
    from glassbox.audit._manifest import ModelIdentity

    batch, predictions = sample()
    model = ModelIdentity("self-test", "1", "f" * 64)
    for key in (None, b"k" * 80):
        hasher = Hasher(key)
        args = _Args(
            batch, predictions, ["x", "i", "b", "s", "c", "t"], "id", "ts", model, hasher,
            genesis("self-test", model, hasher),
        )  # fmt: skip
        try:
            native, root = native_table(args)
        except Fallback as exc:
            return f"self-test declined: {exc}"
        reference, expected = reference_table(args)
        if root != expected or not native.equals(reference):
            return f"self-test: native and reference audits differ ({hasher.alg})"
    return "ready"
