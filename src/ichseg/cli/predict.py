"""``ichseg predict -i IN -o OUT``: segment and quantify hemorrhage (outputs: docs/reference/output-folder.md)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from ..postprocess import COMPONENT_SCOPES, PostprocessConfig
from .input_options import add_input_options, read_options

if TYPE_CHECKING:
    from ..infer.predictor import Predictor

HELP = "segment and quantify intracranial hemorrhage (NIfTI, DICOM series/study, folder of inputs or CSV list)"
SOME_CASES_FAILED = 3


def add_model_options(parser: argparse.ArgumentParser, *, uncertainty: bool = True) -> None:
    parser.add_argument("--model", nargs="+", default=["default"], metavar="BUNDLE",
                        help="bundled model name (default, windowed) or bundle folder(s); several = an ensemble "
                             "(default: default; with --window: windowed)")
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda (default auto)")
    parser.add_argument("--tta", action="store_true", help="test-time augmentation: average over mirror flips")
    parser.add_argument("--precision", choices=("float32", "bfloat16"), default="float32",
                        help="CPU: bfloat16 runs the torch network under bfloat16 autocast, about twice the network "
                             "speed on a CPU with AVX-512 BF16 or AMX, but torch's start-up (about 1.5 s) makes it "
                             "pay off on cohorts and with --tta, not on one scan (default float32: ONNX Runtime)")
    if uncertainty:
        parser.add_argument("--uncertainty", action="store_true",
                            help="write uncertainty.nii.gz and a calibrated volume interval per type (turns on --tta)")
    parser.add_argument("--fast", action="store_true",
                        help="map labels back to the input grid by nearest neighbour, not interpolated "
                             "probabilities (faster on scans with blood; Dice about 0.02 lower)")
    parser.add_argument("--min-component-ml", type=float, default=PostprocessConfig.min_component_ml,
                        help="remove predicted components smaller than this (0: keep all; default %(default)s)")
    parser.add_argument("--component-scope", choices=COMPONENT_SCOPES, default=PostprocessConfig.component_scope,
                        help="what --min-component-ml measures: each class's components alone, or lesions "
                             "(all labels together) (default %(default)s)")
    parser.add_argument("--smooth", action="store_true", help="in-plane morphological opening of each class")
    parser.add_argument("--keep-isolated-edema", action="store_true",
                        help="keep edema (PHE) components that touch no IPH (default: removed)")
    parser.add_argument("--keep-extra-axial-in-iph", action="store_true",
                        help="keep EDH/SDH fused with a larger IPH as typed (default: they become IPH)")
    parser.add_argument("--keep-blood-on-clipped-bone", action="store_true",
                        help="windowed 8-bit images: keep labels on saturated voxels that reach the air outside "
                             "the head (default: the clipped skull is not blood)")


def postprocessing_config(args: argparse.Namespace) -> PostprocessConfig:
    try:
        return PostprocessConfig(min_component_ml=args.min_component_ml, component_scope=args.component_scope,
                                 smooth=args.smooth,
                                 edema_needs_hematoma=not args.keep_isolated_edema,
                                 extra_axial_in_iph=not args.keep_extra_axial_in_iph,
                                 clipped_bone_not_blood=not args.keep_blood_on_clipped_bone)
    except ValueError as error:
        raise SystemExit(f"ichseg predict: {error}") from None


def build_predictor(args: argparse.Namespace) -> Predictor:
    from ..infer.predictor import load_predictor, models_for_input  # noqa: PLC0415  (heavy, imported on use)
    postprocessing = postprocessing_config(args)
    models = models_for_input(args.model, getattr(args, "window", None))  # (ichseg demo has no input options)
    if models != tuple(args.model):
        print("ichseg predict: --window given: using the bundled model for windowed slice images (windowed)",
              file=sys.stderr)
    try:
        return load_predictor(models, device=args.device, tta=args.tta or getattr(args, "uncertainty", False),
                              fast=args.fast, postprocessing=postprocessing,
                              precision=args.precision)
    except (KeyError, ValueError) as error:
        raise SystemExit(f"ichseg predict: {error}") from None


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("predict", help=HELP, description=HELP)
    parser.add_argument("-i", "--input", required=True, help="input file, folder or CSV list")
    parser.add_argument("-o", "--output", required=True, help="output folder (one sub-folder per case)")
    add_model_options(parser)
    parser.add_argument("--dicom-seg", action="store_true", help="also write segmentation.dcm (DICOM inputs)")
    parser.add_argument("--workers", type=int, default=1, help="cases processed in parallel (default 1)")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="spread the cases over a Dask distributed cluster (e.g. tcp://host:8786); OUT must be "
                             "writable by every worker")
    parser.add_argument("--dask-workers", type=int, metavar="N",
                        help="start a local Dask cluster of N worker processes for this run")
    parser.add_argument("--num-parts", type=int, default=1,
                        help="split the cases into this many parts (one per machine or process; default 1)")
    parser.add_argument("--part-id", type=int, default=0,
                        help="which part this run does, 0..num-parts-1 (every num-parts-th case from it)")
    add_input_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..infer.output_folder import OutputFolder  # noqa: PLC0415  (heavy, imported on use)
    from ..infer.run import part_of, predict_inputs  # noqa: PLC0415  (heavy, imported on use)
    postprocessing_config(args)  # bad options, then an unusable output folder, are refused before the model loads
    try:
        part_of([], args.num_parts, args.part_id)
    except ValueError as error:
        raise SystemExit(f"ichseg predict: {error}") from None
    OutputFolder(args.output)
    if args.scheduler or args.dask_workers is not None:
        rows = _run_on_dask(args)
    else:
        rows = predict_inputs(args.input, args.output, build_predictor(args), dicom_seg=args.dicom_seg,
                              workers=args.workers, read_options=read_options(args), num_parts=args.num_parts,
                              part_id=args.part_id, uncertainty=args.uncertainty)
    return _print_rows(rows, args.output)


def _run_on_dask(args: argparse.Namespace) -> list[dict]:
    from ..infer.bundle import load_bundle  # noqa: PLC0415  (heavy, imported on use)
    from ..infer.dask_run import predict_inputs_dask  # noqa: PLC0415
    from ..infer.predictor import models_for_input  # noqa: PLC0415

    if args.dask_workers is not None and args.dask_workers < 1:
        raise SystemExit("ichseg predict: --dask-workers must be at least 1")
    models = models_for_input(args.model, args.window)
    try:  # a wrong model is refused here, not once per case on every worker (its graph: no torch needed)
        for model in models:
            load_bundle(model, onnx=True)
    except (KeyError, ValueError) as error:
        raise SystemExit(f"ichseg predict: {error}") from None
    try:
        import distributed  # noqa: F401, PLC0415
    except ImportError:
        raise SystemExit("ichseg predict: --scheduler and --dask-workers need Dask distributed: "
                         "pip install 'ichseg[cluster]'") from None
    settings = {"models": models, "device": args.device, "tta": args.tta or args.uncertainty, "fast": args.fast,
                "postprocessing": postprocessing_config(args), "precision": args.precision}
    return predict_inputs_dask(args.input, args.output, settings, scheduler=args.scheduler,
                               n_workers=args.dask_workers or 2, dicom_seg=args.dicom_seg,
                               read_options=read_options(args), uncertainty=args.uncertainty,
                               num_parts=args.num_parts, part_id=args.part_id)


def _print_rows(rows: list[dict], output: str) -> int:
    failed = [row for row in rows if row["status"] != "ok"]
    for row in rows:
        if row["status"] == "ok":
            print(f"{row['case']}: any hemorrhage {row['any_hemorrhage_ml']:.2f} mL ({row['seconds']} s)")
            for warning in filter(None, str(row.get("warnings", "")).split(" | ")):
                print(f"{row['case']}: warning: {warning}", file=sys.stderr)
        else:
            print(f"{row['case']}: ERROR {row['error']}", file=sys.stderr)
    print(f"{len(rows) - len(failed)}/{len(rows)} cases done; results in {output}")
    return SOME_CASES_FAILED if failed else 0
