"""Give a bundle its ONNX graph from its own (rounded) weights: ``model.onnx`` and its
SHA-256 in ``bundle.json``; a TorchScript ``model.ts`` of an older bundle (never run
since) and its checksum are removed. The weights are not touched.

Usage: ``python release/add_onnx_graph.py src/ichseg/resources/models/ich_default [...]``
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from safetensors.torch import load_file

from ichseg.infer.bundle import DESCRIPTION, WEIGHTS, read_description, write_onnx_graph


def add_graph(folder: Path) -> str:
    description = read_description(folder)
    checksum = write_onnx_graph(description.network, load_file(str(folder / WEIGHTS)), folder)
    if checksum is None:
        raise SystemExit(f"{folder}: the network could not be exported (see the warning above)")
    data = json.loads((folder / DESCRIPTION).read_text())
    data.pop("program_sha256", None)
    data["onnx_sha256"] = checksum
    (folder / DESCRIPTION).write_text(json.dumps(data, indent=1) + "\n")
    (folder / "model.ts").unlink(missing_ok=True)
    return checksum


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundles", nargs="+", type=Path)
    for folder in parser.parse_args().bundles:
        print(folder, add_graph(folder))


if __name__ == "__main__":
    main()
