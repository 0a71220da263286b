"""Reading a CSV or Parquet table with errors that name the file and say what was expected."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from glassbox.errors import DataValidationError

if TYPE_CHECKING:
    import pandas as pd

_CSV = (".csv", ".csv.gz", ".csv.bz2", ".csv.xz", ".csv.zst", ".csv.zip")
_PARQUET = (".parquet", ".pq")
SUPPORTED = _CSV + _PARQUET


def read_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a CSV (optionally compressed) or Parquet file into a DataFrame.

    The format comes from the file name. A missing file, a directory, an unsupported extension,
    an empty or malformed CSV and a corrupt Parquet file raise ``DataValidationError`` naming
    the file. CSV is read in one pass (no per-chunk type guessing), so a column's dtype does
    not depend on where in the file a bad value sits.
    """
    file = Path(path)
    name = file.name.lower()
    if not name.endswith(SUPPORTED):
        suffix = "".join(file.suffixes[-2:]) or "(none)"
        raise DataValidationError(
            f"read: {file}: unsupported file type {suffix!r} "
            f"(expected one of {', '.join(SUPPORTED)})"
        )
    if not file.exists():
        raise DataValidationError(f"read: {file}: file not found")
    if not file.is_file():
        raise DataValidationError(
            f"read: {file}: not a regular file (expected a CSV or Parquet file)"
        )
    if name.endswith(_PARQUET):
        return _read_parquet(file)
    return _read_csv(file)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _read_csv(file: Path) -> pd.DataFrame:
    import pandas as pd

    try:
        return pd.read_csv(file, low_memory=False)
    except pd.errors.EmptyDataError:
        raise DataValidationError(
            f"read: {file}: empty file (expected a CSV header row naming the columns)"
        ) from None
    except UnicodeDecodeError as exc:
        raise DataValidationError(
            f"read: {file}: not UTF-8 text at byte {exc.start} (expected a UTF-8 CSV file)"
        ) from None
    except (pd.errors.ParserError, ValueError, OSError, EOFError) as exc:
        raise DataValidationError(f"read: {file}: unreadable CSV ({_first_line(exc)})") from None


def _read_parquet(file: Path) -> pd.DataFrame:
    import pandas as pd
    from pyarrow import ArrowException

    try:
        return pd.read_parquet(file)
    except (ArrowException, ValueError, OSError, TypeError, NotImplementedError) as exc:
        raise DataValidationError(
            f"read: {file}: not a readable Parquet file ({_first_line(exc)})"
        ) from None
