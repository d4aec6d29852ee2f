"""``ichseg synth -o OUT -n N --seed S``: a labelled synthetic dataset."""

from __future__ import annotations

import argparse
import sys

from ..data.synth.generator import TYPES

HELP = "write a labelled synthetic head-CT hemorrhage dataset (nnU-Net v2 layout + cases.csv + slice_labels.csv)"


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("synth", help=HELP, description=HELP)
    parser.add_argument("-o", "--output", required=True, help="dataset folder")
    parser.add_argument("-n", "--cases", type=int, required=True, help="number of labelled cases")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--types", default=",".join(TYPES), help="types that may appear (IPH,IVH,SAH,SDH,EDH,PHE)")
    parser.add_argument("--negatives", type=float, default=0.2, help="fraction of cases without hemorrhage")
    parser.add_argument("--spacing", type=float, help="in-plane pixel size in mm (default: drawn 0.43-1.0)")
    parser.add_argument("--slice-thickness", type=float, help="slice thickness in mm (default: drawn 2.5-7)")
    parser.add_argument("--unlabeled", type=int, default=0, help="additional unlabelled cases")
    parser.add_argument("--weak", type=int, default=0,
                        help="additional slice-labelled cases (unlabelled images + their rows in slice_labels.csv)")
    parser.add_argument("--weak-negatives", type=float,
                        help="fraction of the slice-labelled cases without hemorrhage (default: --negatives)")
    parser.add_argument("--base", nargs="+", default=[], metavar="PATH",
                        help="real head CT(s) (DICOM folder or NIfTI) to insert hemorrhages into")
    parser.add_argument("--base-fraction", type=float, default=0.5, help="share of cases built on --base scans")
    parser.add_argument("--shape-bank", nargs="+", default=[], metavar="DIR",
                        help="folders or .zip archives of lesion masks whose shapes IPH may take")
    parser.add_argument("--shape-part", default="0/1", metavar="K/N",
                        help="use only every N-th mask file starting at K (disjoint train/test shape banks)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..data.synth import SynthConfig, generate_dataset  # noqa: PLC0415  (heavy, imported on use)
    from ..data.synth.shape_bank import ShapeBank  # noqa: PLC0415  (heavy, imported on use)
    types = tuple(t.strip().upper() for t in args.types.split(",") if t.strip())
    unknown = sorted(set(types) - set(TYPES))
    if unknown:
        raise SystemExit(f"ichseg synth: unknown types {unknown}; choose from {', '.join(TYPES)}")
    if not 0 <= args.negatives <= 1:
        raise SystemExit("ichseg synth: --negatives must be between 0 and 1")
    if args.weak_negatives is not None and not 0 <= args.weak_negatives <= 1:
        raise SystemExit("ichseg synth: --weak-negatives must be between 0 and 1")
    try:
        index, count = (int(v) for v in args.shape_part.split("/"))
        part = (index, count)
    except ValueError:
        raise SystemExit(f"ichseg synth: --shape-part must look like K/N, got {args.shape_part!r}") from None
    bank = ShapeBank.load(args.shape_bank, seed=args.seed, part=part) if args.shape_bank else None
    config = SynthConfig(types=types, negative_fraction=args.negatives, pixel_mm=args.spacing,
                         slice_mm=args.slice_thickness, shape_bank=bank)
    report = lambda done, total: print(f"\r{done}/{total} cases", end="", file=sys.stderr)  # noqa: E731
    generate_dataset(args.output, args.cases, args.seed, config, n_unlabeled=args.unlabeled, n_weak=args.weak,
                     bases=args.base, base_fraction=args.base_fraction, weak_negative_fraction=args.weak_negatives,
                     progress=report)
    print(file=sys.stderr)
    print(f"wrote {args.cases} labelled + {args.unlabeled} unlabelled + {args.weak} slice-labelled cases to "
          f"{args.output}")
    return 0
