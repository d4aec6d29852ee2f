"""Choose the post-processing defaults on a synthetic *validation* set (never the test set).

Each case is predicted once with every post-processing step off; the steps are then
applied offline with each candidate setting (small-component threshold, smoothing) and
scored: Dice(any hemorrhage, labels 1-5) over all cases (a normal head with any false positive
scores 0, a clean one 1) and over the positive cases, per-type Dice (cases where the
reference or the prediction has the type), volume CCC and the false-positive volume on
normal heads. A threshold above 0.5 mL is scored for reference but is not eligible as the
default: it erases every smaller bleed by construction, and a small bleed is still a finding.
The validation set must come from a seed used neither for training nor
for testing, e.g. ``ichseg synth -o synth_val -n 40 --seed 13 --base
src/ichseg/resources/ge_head_ct --base-fraction 0.35 --negatives 0.15 --shape-bank
.../HemSeg-500.zip --shape-part 1/2``.

Usage: ``python experiments/postprocessing.py VALIDATION_DATASET [--model default] [--output JSON]``
Writes ``experiments/results/postprocessing.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from ichseg.data.dataset_format import list_dataset_cases
from ichseg.evaluate.headline import score_label_maps
from ichseg.infer.bundle import load_bundle
from ichseg.infer.predictor import Predictor
from ichseg.io import InputError
from ichseg.io.nifti import read_nifti
from ichseg.postprocess import PostprocessConfig, postprocess

RESULTS = Path(__file__).parent / "results" / "postprocessing.json"
ALL_OFF = PostprocessConfig(min_component_ml=0, smooth=False, edema_needs_hematoma=False, extra_axial_in_iph=False)
CANDIDATES = {
    **{f"min_component_{ml}ml": PostprocessConfig(min_component_ml=ml) for ml in (0.0, 0.05, 0.2, 0.5, 1.0, 2.0)},
    "min_component_0.5ml_smoothing": PostprocessConfig(min_component_ml=0.5, smooth=True),
    "min_component_0.5ml_isolated_edema_kept": PostprocessConfig(min_component_ml=0.5, edema_needs_hematoma=False),
    **{f"min_lesion_{ml}ml": PostprocessConfig(min_component_ml=ml, component_scope="lesion") for ml in (0.2, 0.5, 1.0)},
    "min_lesion_0.5ml_extra_axial_in_iph": PostprocessConfig(min_component_ml=0.5, component_scope="lesion",
                                                            extra_axial_in_iph=True),
}


def predict_raw(dataset: Path, model: str) -> list[tuple[str, np.ndarray, np.ndarray, tuple]]:
    """(case, reference, prediction without post-processing, spacing) for every case.

    Raises:
        InputError: ``dataset`` is not a labelled dataset folder (the benchmark needs its labels).
    """
    entries = list_dataset_cases(dataset)
    predictor = Predictor([load_bundle(model, onnx=True)], device="cpu", postprocessing=ALL_OFF)
    cases, start = [], time.perf_counter()
    for entry in entries:
        volume = read_nifti(entry.image)
        reference = read_nifti(entry.label).array.astype(np.uint8)
        cases.append((entry.case, reference, predictor.predict(volume).array, volume.spacing))
        print(f"{entry.case} predicted ({time.perf_counter() - start:.0f} s)", flush=True)
    return cases


def score(cases, config: PostprocessConfig) -> tuple[dict, list[dict]]:
    """Summary over the cases and the per-case any-hemorrhage values of one setting."""
    return score_label_maps([(name, reference, postprocess(raw, spacing, config), spacing)
                             for name, reference, raw, spacing in cases])


def save_results(results: dict, output: Path) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {output}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", help="validation dataset (nnU-Net layout, as written by ichseg synth)")
    parser.add_argument("--model", default="default")
    parser.add_argument("--output", default=str(RESULTS), help="JSON file for the results")
    args = parser.parse_args()
    try:
        cases = predict_raw(Path(args.dataset), args.model)
    except InputError as error:
        sys.exit(f"postprocessing: {error}")
    results = {"dataset": str(args.dataset), "model": args.model, "n_cases": len(cases), "candidates": {}}
    for name, config in CANDIDATES.items():
        summary, per_case = score(cases, config)
        results["candidates"][name] = {"config": config.to_dict(), **summary}
        if config == PostprocessConfig():  # the default: keep its per-case values
            results["default_per_case"] = per_case
        print(name, json.dumps(results["candidates"][name]), flush=True)
    save_results(results, Path(args.output))


if __name__ == "__main__":
    main()
