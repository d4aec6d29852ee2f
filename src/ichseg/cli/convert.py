"""``ichseg convert KIND SRC -o DST``: a public release -> the project's dataset format."""

from __future__ import annotations

import argparse
import sys

from .input_options import _floats

HELP = "convert a public ICH release (ctich, instance2022, bhsd, hemseg, rsna2019, blastct) into a dataset folder"


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("convert", help=HELP, description=HELP + ". Inputs are only read; DST appears "
                                   "when the whole release is written (DST.partial until then; rerun to resume).")
    parser.add_argument("kind", help="the release: ctich, instance2022, bhsd, hemseg, rsna2019, blastct "
                                     "(or package.module:function)")
    parser.add_argument("source", help="the release folder as downloaded (blastct: its CSV list or folder)")
    parser.add_argument("-o", "--output", required=True, help="the dataset folder to create (must be new or empty)")
    parser.add_argument("--labels",
                        help="hemseg: the release's label zip (IPH_IVH_label.zip, HemSeg-500.zip) or folder")
    parser.add_argument("--slice-list", help="hemseg: annotion_file_info.jsonl (the RSNA slices of each scan)")
    parser.add_argument("--rsna-labels", help="hemseg: stage_2_train.csv, to add per-type slice labels")
    parser.add_argument("--spacing", type=_floats(3), metavar="X,Y,Z", help="ctich JPG release: voxel size in mm")
    parser.add_argument("--reverse", action="store_true", help="ctich JPG release: slices run superior to inferior")
    parser.add_argument("--limit", type=int, help="rsna2019: convert the first N series only")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..data.adapters import ADAPTERS, convert  # noqa: PLC0415  (imported on use)

    if args.kind not in ADAPTERS and ":" not in args.kind:
        raise SystemExit(f"ichseg convert: unknown release {args.kind!r}; choose from {', '.join(ADAPTERS.names())}")

    def progress(done: int, total: int, what: str) -> None:
        print(f"\r[{done}/{total}] {what}\033[K", end="" if done < total else "\n", file=sys.stderr, flush=True)

    options = {key: getattr(args, key) for key in ("labels", "slice_list", "rsna_labels", "spacing", "reverse",
                                                   "limit") if getattr(args, key) not in (None, False)}
    report = convert(args.kind, args.source, args.output, progress=progress, **options)
    print(f"wrote {report['labelled']} labelled + {report['unlabelled']} unlabelled case(s) to {args.output} "
          f"({report['task']} task); {len(report['skipped'])} skipped (see conversion.json)")
    for skipped in report["skipped"][:5]:
        print(f"  skipped {skipped['source']}: {skipped['why']}", file=sys.stderr)
    return 0
