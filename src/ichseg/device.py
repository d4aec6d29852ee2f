"""Which device a command runs on (``--device``): one small module that training,
inference and the command line all ask, so none of them imports another for it.

``auto`` is answered without importing torch where the machine plainly has no NVIDIA
driver (Linux without ``/proc/driver/nvidia`` or WSL's ``/dev/dxg``): a one-scan CPU
run whose network runs on ONNX Runtime then never pays torch's import (about 1.5 s)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

_DRIVER_SIGNS = ("/proc/driver/nvidia", "/dev/dxg")


def cpu_threads() -> int:
    """The CPU cores this process may use (its affinity where the system tells it)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def cuda_may_exist() -> bool:
    """False only where CUDA surely is absent (Linux without an NVIDIA driver); elsewhere
    torch has to be asked."""
    return not sys.platform.startswith("linux") or any(Path(sign).exists() for sign in _DRIVER_SIGNS)


def resolve_device_name(name: str = "auto") -> str:
    """``auto`` -> ``cuda`` when available, else ``cpu``; ``cpu``/``cuda``/``cuda:N`` as given.

    Raises:
        ValueError: CUDA asked for where there is none, or a device name torch does not know.

    Example:
        >>> resolve_device_name("cpu")
        'cpu'
    """
    if name == "cpu" or (name == "auto" and not cuda_may_exist()):
        return "cpu"
    try:
        import torch  # noqa: PLC0415  (only where a GPU may be there)
    except ModuleNotFoundError:
        if name == "auto":  # an install without the training extra runs on the CPU
            return "cpu"
        raise
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        device = torch.device(name)
    except RuntimeError as error:
        raise ValueError(f"unknown device {name!r} ({str(error).splitlines()[0]})") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda was asked for but no CUDA device is available")
    return str(device)


def resolve_device(name: str = "auto") -> torch.device:
    """The torch device of :func:`resolve_device_name`.

    Example:
        >>> resolve_device("cpu")
        device(type='cpu')
    """
    import torch  # noqa: PLC0415

    return torch.device(resolve_device_name(name))
