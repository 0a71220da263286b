"""Reference profile persistence: bytes and directory round trips, pickle-free, tamper checks."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from glassbox.drift import DriftCalculator, DriftError, ReferenceProfile

from . import _frames


@pytest.fixture(scope="module")
def profile() -> ReferenceProfile:
    return (
        DriftCalculator(**_frames.calculator_columns()).fit(_frames.window(20_000, seed=60)).profile
    )


def _assert_same(a: ReferenceProfile, b: ReferenceProfile) -> None:
    assert a.names == b.names
    assert (a.n_rows, a.n_bins, a.fingerprint) == (b.n_rows, b.n_bins, b.fingerprint)
    for x, y in zip(a.columns, b.columns, strict=True):
        assert (x.name, x.kind, x.dtype, x.n, x.missing) == (
            y.name,
            y.kind,
            y.dtype,
            y.n,
            y.missing,
        )
        np.testing.assert_array_equal(x.counts, y.counts)
        if x.dtype == "numeric":
            np.testing.assert_array_equal(x.edges, y.edges)
            np.testing.assert_array_equal(x.sorted_values, y.sorted_values)
            assert (x.mean, x.std) == (y.mean, y.std)
        else:
            assert x.categories == y.categories
            assert [type(c) for c in x.categories] == [type(c) for c in y.categories]


def test_bytes_round_trip(profile: ReferenceProfile) -> None:
    _assert_same(profile, ReferenceProfile.from_bytes(profile.to_bytes()))


def test_directory_round_trip_is_json_plus_npz(profile: ReferenceProfile, tmp_path: Path) -> None:
    directory = profile.save(tmp_path / "drift-profile")
    assert sorted(p.name for p in directory.iterdir()) == ["profile.json", "profile.npz"]
    meta = json.loads((directory / "profile.json").read_text())
    assert meta["format"] == "glassbox-drift-profile"
    assert [c["name"] for c in meta["columns"]] == list(profile.names)
    flag = next(c for c in meta["columns"] if c["name"] == "flag")
    assert sorted(flag["categories"]) == [False, True]
    _assert_same(profile, ReferenceProfile.load(directory))


def test_sorted_values_are_stored_once_per_numeric_column(profile: ReferenceProfile) -> None:
    with zipfile.ZipFile(io.BytesIO(profile.to_bytes())) as archive:
        names = archive.namelist()
    assert sum(name.endswith("_sorted.npy") for name in names) == 6
    assert len(names) == len(set(names))


def test_object_arrays_are_refused_on_load(profile: ReferenceProfile, tmp_path: Path) -> None:
    directory = profile.save(tmp_path / "p")
    arrays = dict(np.load(directory / "profile.npz"))
    arrays["c0_sorted"] = np.array([object()], dtype=object)
    np.savez(directory / "profile.npz", **arrays)
    with pytest.raises(DriftError, match=r"profile\.npz: not a readable npz archive"):
        ReferenceProfile.load(directory)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not a zip", "reference profile bytes: not a readable npz archive"),
        (None, "field 'format' is 'something-else'"),
    ],
)
def test_corrupt_bytes_raise_drift_error(data: bytes | None, message: str) -> None:
    if data is None:
        buffer = io.BytesIO()
        meta = json.dumps({"format": "something-else", "version": 1}).encode()
        np.savez(buffer, __meta__=np.frombuffer(meta, dtype=np.uint8))
        data = buffer.getvalue()
    with pytest.raises(DriftError, match=message):
        ReferenceProfile.from_bytes(data)


def test_missing_files_and_arrays_are_named(profile: ReferenceProfile, tmp_path: Path) -> None:
    with pytest.raises(DriftError, match=r"profile\.json: file not found"):
        ReferenceProfile.load(tmp_path / "nowhere")
    directory = profile.save(tmp_path / "p")
    arrays = dict(np.load(directory / "profile.npz"))
    del arrays["c1_edges"]
    np.savez(directory / "profile.npz", **arrays)
    with pytest.raises(DriftError, match="array 'c1_edges' is missing"):
        ReferenceProfile.load(directory)


def test_fingerprint_changes_with_the_binning(profile: ReferenceProfile) -> None:
    other = DriftCalculator(**_frames.calculator_columns()).fit(_frames.window(20_000, seed=61))
    assert other.profile.fingerprint != profile.fingerprint
    again = DriftCalculator(**_frames.calculator_columns()).fit(_frames.window(20_000, seed=60))
    assert again.profile.fingerprint == profile.fingerprint
