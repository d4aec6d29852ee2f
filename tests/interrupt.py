"""Kill a training subprocess mid-run, the way a lost machine or ``kill -9`` does, for resume tests."""

import os
import signal
import subprocess
import time
from pathlib import Path

from ichseg.models.checkpoint import load_checkpoint


def kill_after_checkpoint(command: list[str], checkpoint: Path, step: int, timeout: float = 180.0) -> int:
    """Start ``command`` in its own session, SIGKILL it (no chance to save) once ``checkpoint``
    holds at least ``step`` steps, and return the step it holds then."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + timeout
    while time.time() < deadline and process.poll() is None:
        if checkpoint.exists() and load_checkpoint(checkpoint)["step"] >= step:
            break
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    return int(load_checkpoint(checkpoint)["step"])
