"""A minimal step for the transport tests: ``python -m tests.openlineage._fake_step ok fail``
runs ``step_run`` exactly as steps/ do (once per outcome), logging one input and one output
dataset; a ``fail`` step raises inside its run."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import glassbox  # noqa: F401  (telemetry off first)


def main(outcome: str) -> None:
    import pandas as pd

    from glassbox.lineage import log_input_dataset, log_output_dataset
    from glassbox.tracking import step_run

    frame = pd.DataFrame({"id": [1, 2, 3], "x": [0.5, 1.5, None]})
    with step_run("transform", seed=3) as ctx:
        source = Path(tempfile.mkdtemp()) / "in.csv"
        frame.to_csv(source, index=False)
        log_input_dataset(ctx, frame, name="raw-in", source=source.as_uri())
        local = Path(tempfile.mkdtemp()) / "out.parquet"
        frame.to_parquet(local, index=False)
        uri = ctx.log_artifact(local, "features")
        log_output_dataset(ctx, frame, name="features-out", uri=uri)
        if outcome == "fail":
            raise RuntimeError("the stand-in step failed on purpose")


if __name__ == "__main__":
    failed = False
    for outcome in sys.argv[1:]:  # e.g. "ok fail": two step runs, one process
        try:
            main(outcome)
        except RuntimeError as exc:
            print(f"step failed: {exc}", file=sys.stderr)
            failed = True
    sys.exit(3 if failed else 0)
