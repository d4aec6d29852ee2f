"""The output folder of ``ichseg predict``, safe against kills and against a second run.

- Each case is composed in a hidden temporary folder whose name holds the writer's
  process id and a random part, so two runs never share one; it replaces the case
  folder only when complete, so a case folder that exists is whole and is the work of
  one run.
- The replacement and ``summary.csv`` are changed while holding an exclusive lock on
  ``OUT/.ichseg.lock`` (a few milliseconds each), so two runs into one folder interleave
  whole cases; ``summary.csv`` is merged: this run's rows replace the rows of the same
  cases and the other cases' rows are kept.
- Temporary folders left by a killed run (its process on this machine is gone) are
  removed by the next; those of other machines writing to a shared folder are left alone.

Example:
    >>> import tempfile
    >>> out = OutputFolder(Path(tempfile.mkdtemp()) / "out")
    >>> staging = out.staging("case_01")
    >>> _ = (staging / "volumes.json").write_text("{}")
    >>> out.publish(staging, "case_01")
    >>> sorted(p.name for p in (out.path / "case_01").iterdir())
    ['volumes.json']
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import socket
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from ..io import InputError
from ..io.atomic import write_text_atomic
from ..labels import LABELS

try:  # POSIX; elsewhere runs into one folder are not serialised
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

CLASS_NAMES = [name for value, name in LABELS.items() if value]
SUMMARY_COLUMNS = ["case", "status", "error", "any_hemorrhage_ml", *(f"{n}_ml" for n in CLASS_NAMES),
                   "ivh_present", "ich_volume_ge_30ml", "iph_infratentorial", "seconds", "warnings", "input"]
LOCK_NAME = ".ichseg.lock"
STAGING_MARK = ".tmp-"
OLD_MARK = ".old-"
HOST = re.sub(r"[^A-Za-z0-9]", "_", socket.gethostname()) or "host"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


class OutputFolder:
    """``OUT`` of a predict run (see the module docstring).

    Raises:
        InputError: ``path`` exists and is not a folder, or cannot be written.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if self.path.exists() and not self.path.is_dir():
            raise InputError(self.path, "the output exists and is not a folder")
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            probe = self.path / f".write_probe_{os.getpid()}_{uuid.uuid4().hex[:8]}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as error:
            raise InputError(self.path, f"cannot write to the output folder ({error.strerror or error})") from None
        self._remove_stale_staging()

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the folder's lock (other runs into the same folder wait)."""
        if fcntl is None:  # pragma: no cover
            yield
            return
        with open(self.path / LOCK_NAME, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def staging(self, case: str) -> Path:
        """A new, empty temporary folder for ``case``, owned by this process."""
        folder = self.path / f".{case}{STAGING_MARK}{self._owner()}"
        folder.mkdir()
        return folder

    def publish(self, staging: Path, case: str) -> None:
        """Replace ``OUT/case`` by the complete ``staging`` folder."""
        final = self.path / case
        old = self.path / f".{case}{OLD_MARK}{self._owner()}"
        with self.locked():
            if final.exists():
                final.rename(old)
            staging.rename(final)
        shutil.rmtree(old, ignore_errors=True)

    @staticmethod
    def _owner() -> str:
        return f"{HOST}-{os.getpid()}-{uuid.uuid4().hex[:8]}"

    def _remove_stale_staging(self) -> None:
        with self.locked():
            for entry in self.path.iterdir():
                marker = next((m for m in (STAGING_MARK, OLD_MARK) if m in entry.name), None)
                if not (entry.name.startswith(".") and marker and entry.is_dir()):
                    continue
                host, _, rest = entry.name.rsplit(marker, 1)[1].partition("-")
                pid = rest.split("-")[0]
                if host == HOST and pid.isdigit() and not _alive(int(pid)):
                    shutil.rmtree(entry, ignore_errors=True)

    def merge_summary(self, rows: Sequence[dict], columns: Sequence[str], name: str = "summary.csv") -> list[dict]:
        """Write ``OUT/name`` as the rows already there for other cases plus ``rows``; returns the table."""
        path = self.path / name
        with self.locked():
            kept: list[dict] = []
            if path.is_file():
                with open(path, newline="", encoding="utf-8") as stream:
                    mine = {row["case"] for row in rows}
                    kept = [row for row in csv.DictReader(stream) if row.get("case") not in mine]
            table = [{column: row.get(column, "") for column in columns} for row in [*kept, *rows]]
            buffer = io.StringIO()
            writer = csv.DictWriter(buffer, fieldnames=list(columns), extrasaction="ignore")
            writer.writeheader()
            writer.writerows(table)
            write_text_atomic(path, buffer.getvalue())
        return table
