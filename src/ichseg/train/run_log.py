"""Training logs: a CSV file (one row per logged step) and TensorBoard events.

On resume the CSV keeps only the rows up to the resumed step and TensorBoard purges
later events, so a resumed run's logs read like an uninterrupted run's.
"""

from __future__ import annotations

import csv
from pathlib import Path

COLUMNS = ("step", "kind", "name", "value")


class RunLog:
    """Append ``(step, kind, name, value)`` rows to ``log.csv`` and TensorBoard."""

    def __init__(self, folder: str | Path, *, resume_step: int = 0, tensorboard: bool = True) -> None:
        self.path = Path(folder) / "log.csv"
        kept = []
        if resume_step and self.path.exists():
            with open(self.path, newline="") as stream:
                kept = [row for row in csv.DictReader(stream) if int(row["step"]) <= resume_step]
        with open(self.path, "w", newline="") as stream:
            writer = csv.DictWriter(stream, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(kept)
        self.writer = None
        if tensorboard:
            from torch.utils.tensorboard import SummaryWriter  # noqa: PLC0415  (optional, heavy import)

            self.writer = SummaryWriter(str(Path(folder) / "tensorboard"), purge_step=resume_step or None)

    def log(self, step: int, kind: str, values: dict[str, float]) -> None:
        with open(self.path, "a", newline="") as stream:
            writer = csv.writer(stream)
            for name, value in values.items():
                writer.writerow([step, kind, name, f"{float(value):.6g}"])
        if self.writer is not None:
            for name, value in values.items():
                self.writer.add_scalar(f"{kind}/{name}", float(value), step)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
