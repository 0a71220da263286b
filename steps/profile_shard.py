"""profile (one pod per partition): summarise a partition of the window against the reference
profile's bins (counts, category counts, a KLL sketch); the reduce step merges them."""

from __future__ import annotations

import argparse

from steps._io import main, parser, write_outputs


def run(args: argparse.Namespace) -> None:
    import tempfile
    from pathlib import Path

    from glassbox.data import read_artifact_table
    from glassbox.drift import profile_shard
    from glassbox.tracking import step_run
    from steps._monitor import reference

    with step_run("profile", seed=args.seed, key=f"profile-{args.partition}") as ctx:
        part = read_artifact_table(args.partition_uri)
        profile = reference(args.reference_run_id).profile()
        shard = profile_shard(part.loc[:, list(profile.names)], profile)
        where = shard.save(Path(tempfile.mkdtemp()) / f"shard-{args.partition}")
        uri = ""
        for f in sorted(where.iterdir()):
            uri = ctx.log_artifact(f, f"shards/{where.name}")
        ctx.log_params({"partition": args.partition})
        ctx.log_metrics({"shard.rows": len(part)})
        write_outputs(run_id=ctx.run_id, shard_uri=uri.rsplit("/", 1)[0])


def cli() -> None:
    p = parser("profile_shard", __doc__ or "")
    p.add_argument("--partition", required=True)
    p.add_argument("--partition-uri", required=True)
    p.add_argument("--reference-run-id", required=True)
    main("profile", run, p.parse_args())


if __name__ == "__main__":
    cli()
