"""What every step entrypoint shares: argument parsing, output parameters, error reporting.

Kept free of heavy imports so ``python -m steps.<name> --help`` starts fast.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

OUTPUTS_DIR_ENV = "GLASSBOX_OUTPUTS_DIR"
DEFAULT_OUTPUTS_DIR = "/tmp/outputs"  # noqa: S108  (Argo reads output parameters from here)


def parser(step: str, description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=f"python -m steps.{step}", description=description)
    p.add_argument("--seed", type=int, default=None, help="pipeline seed (workflow parameter)")
    return p


def write_outputs(**values: object) -> None:
    """Write Argo output parameters: one file per name under ``$GLASSBOX_OUTPUTS_DIR``."""
    out = Path(os.environ.get(OUTPUTS_DIR_ENV, DEFAULT_OUTPUTS_DIR))
    out.mkdir(parents=True, exist_ok=True)
    for name, value in values.items():
        (out / name).write_text(f"{value}\n")


# A Glassbox error is permanent (bad input, a failed gate, missing state): exit 2, which the
# templates' retryStrategy.expression does not retry. Anything else (a tracking server that is
# down, an OOM kill) exits 1 or by signal and is retried.
EXIT_PERMANENT = 2


def main(step: str, run: Callable[[argparse.Namespace], None], args: argparse.Namespace) -> None:
    """Run a step; a Glassbox error becomes one clear line on stderr and exit code 2."""
    from glassbox.errors import GlassboxError

    try:
        run(args)
    except GlassboxError as exc:
        print(f"{step}: error: {exc}", file=sys.stderr)
        sys.exit(EXIT_PERMANENT)


def read_raw_inputs(ctx: Any, args: argparse.Namespace, target: str) -> tuple[Any, Any]:
    """The raw reference and production batches extract wrote, logged as this step's inputs."""
    from glassbox.data import read_artifact_table
    from glassbox.lineage import log_input_dataset

    reference = read_artifact_table(args.reference_uri)
    production = read_artifact_table(args.production_uri)
    log_input_dataset(
        ctx, reference, name="raw-reference", source=args.reference_uri, targets=target
    )
    log_input_dataset(ctx, production, name="raw-production", source=args.production_uri)
    return reference, production
