"""Entry point of the ``ichseg`` command."""

from __future__ import annotations

import argparse
import os
import sys

from .. import __version__
from ..io import InputError
from . import (
    adapt,
    benchmark,
    compare,
    convert,
    demo,
    evaluate,
    expansion,
    info,
    merge_runs,
    models,
    plan,
    predict,
    report,
    synth,
    train,
)

# What `pip install ichseg[train]` adds: a command that needs one of these says so in one line.
TRAINING_PACKAGES = frozenset({"torch", "monai", "einops", "tensorboard", "onnx", "torchvision"})

# Each command module provides add_parser(subparsers); a new command is a new entry.
COMMANDS = (predict, report, merge_runs, expansion, demo, info, synth, convert, models, plan, train, evaluate, compare,
            benchmark, adapt)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ichseg", description="Segment and quantify intracranial hemorrhage on non-contrast head CT."
    )
    parser.add_argument("--version", action="version", version=f"ichseg {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        return int(args.run(args) or 0)
    except InputError as error:
        print(f"ichseg: error: {error}", file=sys.stderr)
        return 1
    except OSError as error:  # a full disk, a read-only or vanished folder: say which file, not where in ichseg
        where = f"{error.filename}: " if error.filename else ""
        print(f"ichseg: error: {where}{error.strerror or error}", file=sys.stderr)
        return 1
    except ModuleNotFoundError as error:
        missing = (error.name or "").split(".")[0]
        if missing not in TRAINING_PACKAGES:
            return _report_bug(error)
        print(f"ichseg: error: this needs {missing}, which is not installed: pip install 'ichseg[train]' "
              "(PyTorch and MONAI; the bundled models predict without them)", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("ichseg: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # noqa: BLE001  (the last resort: one line, never a traceback)
        return _report_bug(error)


def _report_bug(error: Exception) -> int:
    if os.environ.get("ICHSEG_DEBUG"):
        raise error
    print(f"ichseg: error: {type(error).__name__}: {error} (an ichseg bug: please report it; "
          "ICHSEG_DEBUG=1 shows the traceback)", file=sys.stderr)
    return 1

if __name__ == "__main__":
    sys.exit(main())
