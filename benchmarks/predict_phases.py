"""One ``ichseg predict`` of a scan, phase by phase, in this process (run it in a fresh one):
seconds and peak RSS after each phase, as the CLI does them on the CPU (the bundle's ONNX
graph on ONNX Runtime; torch is never imported, which the output's ``imported`` shows).
Prints one JSON line.

Used by ``benchmarks/predict_bench.py``; run alone: ``python benchmarks/predict_phases.py SCAN``.
"""

from __future__ import annotations

import json
import resource
import sys
import time

STARTED = time.perf_counter()


def main() -> None:
    phases: dict[str, dict] = {}
    clock = [STARTED]

    def mark(name: str) -> None:
        now = time.perf_counter()
        phases[name] = {"s": round(now - clock[0], 3),
                        "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6, 3)}
        clock[0] = now

    import numpy  # noqa: F401  (each import is a phase of its own)
    import scipy.ndimage  # noqa: F401
    mark("import numpy+scipy")
    import tempfile
    from pathlib import Path

    from ichseg.infer.bundle import load_bundle
    from ichseg.infer.predictor import BATCH_SIZE, Predictor
    from ichseg.infer.sliding_window import slices_with_context, whole_slice_logits
    from ichseg.io import read_volume, write_nifti
    from ichseg.io.quality import input_quality_warnings
    from ichseg.preprocess.model_input import prepare_model_input
    from ichseg.quantify import quantify_labels
    from ichseg.report import render_preview
    mark("import ichseg (+ onnxruntime on use)")
    bundle = load_bundle("default", onnx=True)
    predictor = Predictor([bundle], device="cpu")
    mark("load model")
    volume = read_volume(sys.argv[1])
    volume.warnings.extend(input_quality_warnings(volume))
    mark("read + quality checks")
    spec = bundle.spec
    prepared = prepare_model_input(volume, spec.spacing, spec.normalization, keep_thicker_slices=True)
    mark("prepare model input")
    channels = prepared.channels
    window, _ = predictor._window(spec, channels.shape[1:])
    slices = slices_with_context(channels, spec.context_slices)
    whole_slice_logits(bundle.network, slices, window, batch_size=BATCH_SIZE["cpu"], cval=float(channels.min()))
    mark("network alone")
    labels = predictor.predict(volume)
    mark("predictor.predict (network again + softmax, argmax, map back, post-process)")
    volumes = quantify_labels(labels.array, labels.spacing)
    mark("quantify")
    with tempfile.TemporaryDirectory() as folder:
        write_nifti(labels, Path(folder) / "segmentation.nii.gz", dtype="uint8")
        mark("write segmentation")
        render_preview(volume, labels, Path(folder) / "preview.png", volumes=volumes, title="bench")
        mark("preview")
    modules = {name: name in sys.modules for name in ("torch", "monai", "onnxruntime")}
    print(json.dumps({"phases": phases, "model_slices": int(channels.shape[-1]), "window": window,
                      "input_shape": list(volume.shape), "threads": predictor.threads, "imported": modules}))


if __name__ == "__main__":
    main()
