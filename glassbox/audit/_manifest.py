"""Model identity and the batch manifest that anchors an audit table."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from glassbox.audit._encoding import ENCODING_VERSION
from glassbox.audit._errors import AuditError
from glassbox.audit._hashing import HASH_ALGS

MANIFEST_FORMAT = "glassbox.audit.manifest/1"


def _text(value: Any, field: str, where: str, *, allow_empty: bool = False) -> str:
    if not isinstance(value, str) or (not value and not allow_empty):
        raise AuditError(f"{where}: field '{field}' must be a non-empty string, got {value!r}")
    return value


@dataclass(frozen=True)
class ModelIdentity:
    """Which model made the predictions: registered name, version and state fingerprint."""

    name: str
    version: str
    fingerprint: str

    def __post_init__(self) -> None:
        _text(self.name, "name", "model identity")
        _text(self.version, "version", "model identity")
        _text(self.fingerprint, "fingerprint", "model identity")


@dataclass(frozen=True)
class AuditManifest:
    """What a verifier needs besides the table: count, genesis and root of the chain."""

    batch_id: str
    count: int
    genesis: str
    root: str
    hash_alg: str
    model: ModelIdentity
    feature_columns: tuple[str, ...]
    encoding_version: int = ENCODING_VERSION

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": MANIFEST_FORMAT,
            "batch_id": self.batch_id,
            "count": self.count,
            "genesis": self.genesis,
            "root": self.root,
            "hash_alg": self.hash_alg,
            "encoding_version": self.encoding_version,
            "model": {
                "name": self.model.name,
                "version": self.model.version,
                "fingerprint": self.model.fingerprint,
            },
            "feature_columns": list(self.feature_columns),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    @classmethod
    def from_dict(cls, data: Any, where: str = "audit manifest") -> AuditManifest:
        if not isinstance(data, dict):
            raise AuditError(f"{where}: expected a JSON object, got {type(data).__name__}")
        if data.get("format", MANIFEST_FORMAT) != MANIFEST_FORMAT:
            raise AuditError(
                f"{where}: field 'format' is {data['format']!r}, expected {MANIFEST_FORMAT!r}"
            )
        count, version = data.get("count"), data.get("encoding_version")
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise AuditError(f"{where}: field 'count' must be an integer >= 0, got {count!r}")
        if version != ENCODING_VERSION:
            raise AuditError(
                f"{where}: field 'encoding_version' is {version!r}; this Glassbox "
                f"reads version {ENCODING_VERSION}"
            )
        alg = _text(data.get("hash_alg"), "hash_alg", where)
        if alg not in HASH_ALGS:
            raise AuditError(f"{where}: field 'hash_alg' is {alg!r}, expected one of {HASH_ALGS}")
        model = data.get("model")
        if not isinstance(model, dict):
            raise AuditError(
                f"{where}: field 'model' must be an object with name/version/fingerprint"
            )
        columns = data.get("feature_columns", [])
        if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
            raise AuditError(f"{where}: field 'feature_columns' must be a list of strings")
        return cls(
            batch_id=_text(data.get("batch_id"), "batch_id", where),
            count=count,
            genesis=_text(data.get("genesis"), "genesis", where),
            root=_text(data.get("root"), "root", where),
            hash_alg=alg,
            model=ModelIdentity(
                name=_text(model.get("name"), "model.name", where),
                version=_text(model.get("version"), "model.version", where),
                fingerprint=_text(model.get("fingerprint"), "model.fingerprint", where),
            ),
            feature_columns=tuple(columns),
            encoding_version=version,
        )

    @classmethod
    def from_json(cls, text: str, where: str = "audit manifest") -> AuditManifest:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise AuditError(f"{where}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
        return cls.from_dict(data, where)

    @classmethod
    def coerce(cls, manifest: AuditManifest | dict[str, Any]) -> AuditManifest:
        return manifest if isinstance(manifest, AuditManifest) else cls.from_dict(manifest)
