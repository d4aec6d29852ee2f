"""The demo case: the shipped GE head CT with synthetic hemorrhages of known volume.

``DEMO_SEED`` gives a large intraparenchymal hematoma (> 30 mL) with perihematomal edema
and intraventricular extension (several types, both ICH-score imaging items); the true
label map comes from the generator, on the scan's own grid.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from .data.synth import SynthConfig, generate_on_base
from .infer.predictor import Predictor
from .infer.run import predict_inputs
from .io import write_nifti
from .labels import LABELS
from .quantify import quantify_labels
from .resources import example_path

DEMO_SEED = 1
DEMO_CASE = "ge_head_ct_demo"


def demo_case(seed: int = DEMO_SEED):
    """The demo image and its true labels (a :class:`ichseg.data.synth.generator.SynthCase`)."""
    config = SynthConfig(negative_fraction=0.0, mass_effect_probability=0.0)
    return generate_on_base(seed, str(example_path("ge_head_ct")), config)


def verdict(true_ml: float, measured_ml: float) -> str:
    """How a measured volume compares with the truth, in words.

    Example:
        >>> verdict(0.0, 6.5), verdict(7.2, 14.9), verdict(84.1, 80.0), verdict(0.0, 0.0)
        ('false: not in the truth', '+107 %', 'within 10 %', 'absent, none found')
    """
    if true_ml == 0:
        return "false: not in the truth" if measured_ml > 0 else "absent, none found"
    if measured_ml == 0:
        return "missed"
    error = (measured_ml - true_ml) / true_ml
    return "within 10 %" if abs(error) <= 0.10 else f"{error:+.0%}".replace("%", " %")


def run_demo(output: str | Path, predictor: Predictor, *, seed: int = DEMO_SEED) -> dict:
    """Write the demo input and truth, predict, and compare volumes (``demo.json``)."""
    started = time.perf_counter()
    output = Path(output)
    case = demo_case(seed)
    image_path = output / "input" / f"{DEMO_CASE}.nii.gz"
    image_path.parent.mkdir(parents=True, exist_ok=True)
    write_nifti(case.image, image_path)
    write_nifti(case.labels, output / "input" / f"{DEMO_CASE}_truth.nii.gz", dtype=np.uint8)
    rows = predict_inputs(image_path, output, predictor, progress=False)
    truth = quantify_labels(case.labels.array, case.labels.spacing)
    measured = json.loads((output / DEMO_CASE / "volumes.json").read_text()) if rows[0]["status"] == "ok" else {}
    names = [name for value, name in LABELS.items() if value and (truth[name]["volume_ml"]
                                                                   or measured.get(name, {}).get("volume_ml"))]
    volumes = {name: {"true_ml": truth[name]["volume_ml"], "measured_ml": measured.get(name, {}).get("volume_ml", 0.0)}
               for name in names}
    volumes["any"] = {"true_ml": truth["any_hemorrhage_ml"], "measured_ml": measured.get("any_hemorrhage_ml", 0.0)}
    for values in volumes.values():
        values["verdict"] = verdict(values["true_ml"], values["measured_ml"])
    # the generator's plan per lesion: planned_ml is the size it aimed for before shaping, clipping to the
    # brain and partial volume; true_ml above is what the truth labels hold, the number to compare with
    lesions = [{("planned_ml" if key == "target_ml" else key): value for key, value in lesion.items()}
               for lesion in case.lesions]
    result = {"status": rows[0]["status"], "error": rows[0]["error"], "seed": seed, "volumes": volumes,
              "case_folder": str(output / DEMO_CASE), "seconds": round(time.perf_counter() - started, 2),
              "truth": str(output / "input" / f"{DEMO_CASE}_truth.nii.gz"), "lesions": lesions}
    (output / "demo.json").write_text(json.dumps(result, indent=1, default=str) + "\n")
    return result
