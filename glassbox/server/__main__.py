"""``python -m glassbox.server serve|bootstrap``: the MLflow Deployment's and Job's command."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from glassbox.errors import GlassboxError
from glassbox.server._launch import serve
from glassbox.server._registry import bootstrap
from glassbox.server._settings import CONFIG_DIR


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        prog="python -m glassbox.server",
        description="serve: run the MLflow tracking server from server.yaml; bootstrap: create "
        "registry.yaml's experiments and models and give the pipeline's MLflow user access.",
    )
    p.add_argument("command", choices=["serve", "bootstrap"])
    p.add_argument(
        "--config-dir",
        type=Path,
        default=CONFIG_DIR,
        help="directory of server.yaml, registry.yaml and basic_auth.ini (default: %(default)s)",
    )
    p.add_argument(
        "--timeout", type=float, default=300.0, help="bootstrap: seconds to wait for the server"
    )
    args = p.parse_args(argv)
    try:
        if args.command == "serve":
            serve(config_dir=args.config_dir)
        applied = bootstrap(config_dir=args.config_dir, timeout=args.timeout)
    except GlassboxError as exc:
        print(f"glassbox.server {args.command}: error: {exc}", file=sys.stderr)
        sys.exit(1)
    for name, experiment_id in applied.experiment_ids.items():
        print(f"experiment {name}: id {experiment_id}")
    for name in applied.registered_models:
        print(f"registered model {name}")


if __name__ == "__main__":
    main()
