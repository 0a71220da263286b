"""The settings file ``glassbox init`` writes: the shipped defaults with the user's data.

The file is complete (every section of ``mlruns_config/glassbox.yaml``), so it means the same
whatever the shipped defaults later become, and it is validated by the settings model before
it is written.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from glassbox.config import Settings

# NannyML derives its thresholds from reference chunks: the held-out rows must make at least
# this many (the shipped chunk size of 5000 makes 3 from the car-loan data's 15,000).
REFERENCE_CHUNKS = 3


def shipped_defaults() -> Settings:
    """The shipped ``mlruns_config/glassbox.yaml`` (no environment overrides): under the
    working directory, else beside the installed package (a clone or the image), else the
    settings model's own defaults."""
    from glassbox.config import DEFAULT_CONFIG, Settings, load_settings

    beside_package = Path(__file__).resolve().parents[2] / DEFAULT_CONFIG
    for path in (DEFAULT_CONFIG, beside_package):
        if path.is_file():
            return load_settings(path, environ={})
    return Settings()


def _chunk_size(monitoring: dict[str, Any], holdout_rows: int) -> tuple[int | None, str | None]:
    """A NannyML chunk size that gives REFERENCE_CHUNKS chunks of the held-out rows, when the
    shipped one gives fewer."""
    nannyml = monitoring.get("nannyml") or {}
    size = nannyml.get("chunk_size")
    if not isinstance(size, int) or holdout_rows >= REFERENCE_CHUNKS * size:
        return None, None
    fitted = max(1, holdout_rows // REFERENCE_CHUNKS)
    note = (
        f"monitoring.nannyml.chunk_size: {fitted} (the {holdout_rows:,} held-out rows make "
        f"{REFERENCE_CHUNKS} reference chunks; the shipped {size} needs "
        f"{REFERENCE_CHUNKS * size:,})"
    )
    return fitted, note


def build_settings(
    base: Settings,
    *,
    name: str,
    data: dict[str, Any],
    holdout_rows: int,
    task: str = "classification",
) -> tuple[Settings, list[str]]:
    """The base settings with the user's data, model name, task and experiments; validated."""
    from glassbox.config import Settings
    from glassbox.errors import ConfigError

    raw = base.model_dump(mode="json")
    raw["data"] |= data
    raw["model"] |= {"task": task}
    raw["tracking"] |= {
        "experiment": f"glassbox-{name}",
        "monitoring_experiment": f"glassbox-{name}-monitoring",
        "registered_model": name,
    }
    notes = []
    size, note = _chunk_size(raw.get("monitoring") or {}, holdout_rows)
    if size is not None and note is not None:
        raw["monitoring"]["nannyml"]["chunk_size"] = size
        notes.append(note)
    try:
        return Settings.model_validate(raw), notes
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise ConfigError(f"glassbox init: the settings it built do not validate: {exc}") from None


HEADER = """\
# Glassbox settings for {name}, written by `glassbox init` from {reference}.
# Every section of the shipped defaults is here; edit anything (features, gate floors, ...).
# Use it with: glassbox --config {out} run training   (or GLASSBOX_CONFIG={out})
"""


def render(settings: Settings, out: Path, reference: Path) -> str:
    """The YAML text of a settings file (a header comment, then every section)."""
    import yaml

    body = yaml.safe_dump(settings.model_dump(mode="json"), sort_keys=False, allow_unicode=True)
    name = settings.tracking.registered_model
    return HEADER.format(name=name, reference=reference, out=out) + body


def write(settings: Settings, out: Path, reference: Path, *, force: bool = False) -> Path:
    """Write the settings file; an existing file is kept unless ``force``. The written file is
    read back through the settings loader, so what was written is what runs."""
    from glassbox.config import load_settings
    from glassbox.init._roles import InitError

    if out.exists() and not force:
        raise InitError(f"--out {out}: the file exists (pass --force to overwrite it)")
    if out.parent and not out.parent.is_dir():
        raise InitError(f"--out {out}: directory {out.parent} does not exist")
    text = render(settings, out, reference)
    out.write_text(text, encoding="utf-8")
    if load_settings(out, environ={}) != settings:
        raise InitError(f"--out {out}: the written file does not read back as built")
    return out
