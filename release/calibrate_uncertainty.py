"""Calibrate the volume intervals of ``predict --uncertainty`` for a bundle: predict a
labelled calibration dataset (other seeds than training and than the coverage check),
collect the scaled residuals per type and write ``uncertainty.json`` into the bundle
(method: :mod:`ichseg.quantify.uncertainty`).

The bundled model's calibration set: ``ichseg synth -o synth_s13 -n 40 --seed 13 --base
src/ichseg/resources/ge_head_ct --base-fraction 0.35 --negatives 0.15 --shape-bank
../shared/data/hemseg-labels/HemSeg-500.zip --shape-part 1/2``.

Usage: ``python release/calibrate_uncertainty.py CALIBRATION_DATASET [--model default] [--alpha 0.1]
[--records records.json]``
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ichseg.infer.bundle import CALIBRATION, bundled_model_path
from ichseg.infer.predictor import load_predictor
from ichseg.infer.volume_records import volume_records
from ichseg.labels import LABELS
from ichseg.quantify.uncertainty import VolumeCalibration


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dataset")
    parser.add_argument("--model", default="default")
    parser.add_argument("--alpha", type=float, default=0.1, help="1 - coverage (default 0.1: 90 %% intervals)")
    parser.add_argument("--records", help="also save the per-case volumes here (JSON)")
    args = parser.parse_args()
    predictor = load_predictor((args.model,), device="cpu", tta=True)
    records = volume_records(args.dataset, predictor, progress=print)
    if args.records:
        Path(args.records).write_text(json.dumps(records, indent=1) + "\n")
    names = [name for value, name in LABELS.items() if value] + ["any"]
    calibration = VolumeCalibration.fit(
        {name: [(r[name]["true_ml"], r[name]["predicted_ml"], r[name]["uncertain_ml"]) for r in records]
         for name in names},
        alpha=args.alpha,
        source={"dataset": f"{Path(args.dataset).name}: {len(records)} labelled synthetic cases",
                "model": args.model, "tta": True, "postprocessing": predictor.postprocessing.to_dict()})
    folder = Path(args.model) if Path(args.model).is_dir() else bundled_model_path(args.model)
    (folder / CALIBRATION).write_text(json.dumps(calibration.to_dict(), indent=1) + "\n")
    print(json.dumps(calibration.to_dict(), indent=1))


if __name__ == "__main__":
    main()
