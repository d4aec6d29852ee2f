"""Turn a training checkpoint into a bundled model (fp16 safetensors, ONNX graph and
bundle.json with network spec, checksums and the training commands): ``default``
(``ich_default``, with its generated MODEL_CARD.md) or ``windowed`` (``ich_windowed``,
whose hand-written card is left to edit).

Usage: ``python release/export_bundled_model.py RUN/fold_all/checkpoint_last.pt [--model default|windowed]
[-o FOLDER] [--metrics benchmarks/results/accuracy_bench.json]``
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ichseg.infer.bundle import bundled_model_path, export_bundle
from ichseg.models.checkpoint import load_checkpoint
from ichseg.postprocess import PostprocessConfig

TARGET_DICE_ANY = 0.85
SYNTH_TRAIN = ("ichseg synth -o synth_train -n 200 --seed 11 --base src/ichseg/resources/ge_head_ct "
               "--base-fraction 0.35 --negatives 0.15 --shape-bank ../shared/data/hemseg-labels/HemSeg-500.zip "
               "--shape-part 0/2")
# The commands as they were run: the configs then lived in benchmarks/configs/ (now release/configs/).
TRAINING_COMMANDS = [
    "# stages 1-8 ran before the training EMA got its decay warm-up (ichseg.train.ema, commit 'Training EMA warms "
    "up its decay'); with it the same commands give slightly different EMA weights",
    "# stages 1-4 used benchmarks/configs/bundled_model.yaml with foreground_probability: 0.5 (0.33 from stage 5)",
    "# stage 1, with ichseg at commit dd354df (its generator still labelled bone-bright partial-volume voxels); "
    "result: the bundle with weights sha256 8bb9eff7dc5701ea...",
    SYNTH_TRAIN,
    "ichseg train synth_train -o bundled_run --config-file benchmarks/configs/bundled_model.yaml --max-steps 2200",
    "# stage 2: the same data made again by the current generator; bundled_model.yaml without its loss_options "
    "line (MONAI's per-sample Dice); fine-tuned from stage 1",
    SYNTH_TRAIN,
    "ichseg train synth_train -o bundled_run2 --config-file benchmarks/configs/bundled_model.yaml "
    "--initial-weights STAGE_1_BUNDLE --max-steps 7000",
    "# stage 3: bundled_model.yaml as it is (batch Dice, no numerator smoothing), fine-tuned from stage 2",
    "ichseg train synth_train -o bundled_run3 --config-file benchmarks/configs/bundled_model.yaml "
    "--initial-weights STAGE_2_BUNDLE --max-steps 2500",
    "# stage 4: the same, fine-tuned from stage 3 for longer (a new warm-up and cosine cycle)",
    "ichseg train synth_train -o bundled_run4 --config-file benchmarks/configs/bundled_model.yaml "
    "--initial-weights STAGE_3_BUNDLE --max-steps 7000",
    "# stage 5: bundled_model.yaml as it is (foreground probability 0.33), fine-tuned from stage 4",
    "ichseg train synth_train -o bundled_run5 --config-file benchmarks/configs/bundled_model.yaml "
    "--initial-weights STAGE_4_BUNDLE --max-steps 4000",
    "# stage 6: the same data made again by the generator of commit f9ac4be (SDH drawn only where at least 2 mm "
    "thick, 3 mm when iso- or hypodense: the 47 cases with SDH change, the others are identical), fine-tuned from "
    "stage 5",
    SYNTH_TRAIN,
    "ichseg train synth_train -o bundled_run6 --config-file benchmarks/configs/bundled_model.yaml "
    "--initial-weights STAGE_5_BUNDLE --max-steps 4500",
]
STAGE_8_WINDOWED = [
    "# stage 8 (issue #16; stage 7 was not shipped): neighbours beyond a volume are the nearest slice, a quarter of "
    "the patches without neighbours, a quarter as 8-bit windowed exports; fine-tuned from stage 6 on 80 new cases "
    "(seeds 11 and 13, 40 each, merged into one dataset folder)",
    "ichseg synth -o synth_s11 -n 40 --seed 11 --base src/ichseg/resources/ge_head_ct --base-fraction 0.35 "
    "--negatives 0.15 --shape-bank ../shared/data/hemseg-labels/HemSeg-500.zip --shape-part 0/2",
    "ichseg synth -o synth_s13 -n 40 --seed 13 --base src/ichseg/resources/ge_head_ct --base-fraction 0.35 "
    "--negatives 0.15 --shape-bank ../shared/data/hemseg-labels/HemSeg-500.zip --shape-part 0/2",
    "ichseg train synth_train -o robust_run --config-file benchmarks/configs/bundled_model_robust.yaml "
    "--initial-weights default --max-steps 1500",
]
SYNTH_TRAIN_160 = SYNTH_TRAIN.replace("-n 200", "-n 160")
STAGE_9 = {
    "default": [
        "# stage 9 (issue #16): fine-tuned from stage 6 for inputs of one slice and a few slices (40 % of the "
        "patches without neighbours, 30 % of the others with neighbours on one side only) on 160 cases made anew",
        SYNTH_TRAIN_160,
        "ichseg train synth_train -o stage9 --config-file release/configs/bundled_model_stage9.yaml "
        "--initial-weights default --max-steps 4500 --fold all",
    ],
    "windowed": [
        "# stage 9 (issue #16): fine-tuned from stage 8 with 90 % of the patches as 8-bit windowed exports and the "
        "neighbour settings of the default's stage 9, on the same 160 cases",
        SYNTH_TRAIN_160,
        "ichseg train synth_train -o windowed_stage9 --config-file release/configs/windowed_model_stage9.yaml "
        "--initial-weights windowed --max-steps 2500 --fold all",
        "# stopped at step 2200 of 2500 for the session's time (the cosine learning rate was at 2 % of its peak); "
        "the bundle holds the EMA weights of the step-2200 checkpoint",
    ],
}
STAGE_10_DEFAULT = [
    "# stage 10 (issues #16, #20): fine-tuned from stage 9 on the same 160 cases with 224 x 224 patches (batch 6): "
    "the network sees a large clot with the skull around it, as it does on whole slices in inference",
    "ichseg train synth_train -o stage10 --config-file release/configs/bundled_model_stage10.yaml "
    "--initial-weights default --max-steps 3600 --fold all",
]
STAGE_10_WINDOWED = [
    "# stage 10 (issue #16): fine-tuned from stage 9 on the same 160 cases with the 224 x 224 patches of the "
    "default's stage 10 and 90 % of the patches as 8-bit windowed exports",
    "ichseg train synth_train -o windowed_stage10 --config-file release/configs/windowed_model_stage10.yaml "
    "--initial-weights windowed --max-steps 3000 --fold all",
]
STAGE_11_DEFAULT = [
    "# stage 11 (issue #16): fine-tuned from stage 10 on 280 cases: the 160 of stage 9 and 120 more of seed 17 "
    "(same generator options), linked into one dataset folder synth_train280 (dataset.json and slice_labels.csv "
    "joined); bfloat16 autocast on the CPU (amp: true)",
    SYNTH_TRAIN_160,
    "ichseg synth -o synth_s17 -n 120 --seed 17 --base src/ichseg/resources/ge_head_ct --base-fraction 0.35 "
    "--negatives 0.15 --shape-bank ../shared/data/hemseg-labels/HemSeg-500.zip --shape-part 0/2",
    "ichseg train synth_train280 -o stage11 --config-file release/configs/bundled_model_stage11.yaml "
    "--initial-weights default --max-steps 4800 --fold all",
]
COMMANDS = {"default": TRAINING_COMMANDS + STAGE_9["default"] + STAGE_10_DEFAULT + STAGE_11_DEFAULT,
            "windowed": TRAINING_COMMANDS + STAGE_8_WINDOWED + STAGE_9["windowed"] + STAGE_10_WINDOWED}


def model_card(description: dict, checkpoint: dict) -> str:
    spec, config = description["network"], checkpoint["config"]
    metrics = description["metrics"].get("variants", {}).get("default", {})
    lines = [
        "# ich_default: the bundled ichseg model", "",
        "**Research use only. Not a medical device; not for diagnosis or treatment decisions.**", "",
        "## What it is",
        f"- {spec['model']} (MONAI), 2.5D: {2 * spec['context_slices'] + 1} adjacent axial slices x "
        f"{spec['in_channels'] // (2 * spec['context_slices'] + 1)} HU windows ({spec['normalization']['windows']}) "
        f"= {spec['in_channels']} input channels; options {json.dumps(spec['options'])}.",
        f"- Input grid: RAS, {spec['spacing']} mm; output: the 7 ichseg classes (0 background, 1 IPH, 2 IVH, "
        "3 SAH, 4 SDH, 5 EDH, 6 PHE) mapped back onto the input's own grid.",
        f"- Weights: {description['dtype']} safetensors, SHA-256 `{description['sha256']}` "
        f"({description['training']['weights']} weights at step {description['training']['steps']} of the last "
        "training command below); `model.onnx` holds the same network and weights as an ONNX graph "
        f"(SHA-256 `{description.get('onnx_sha256')}`), which CPU runs execute on ONNX Runtime without torch.",
        "- Neighbours: a missing neighbour slice (the ends of a volume, a single slice, a few slices) is the nearest "
        "existing slice, in training and inference (`ichseg.preprocess.slice_context`).", "",
        "## How it was trained",
        "Entirely on synthetic data made by `ichseg synth` (no real labelled hemorrhage CT was available):",
        "procedural heads and the shipped real GE head CT as base anatomy, IPH shapes partly from real",
        "HemSeg-500 masks (files 0/2: the even-numbered half), all six types, 15 % negatives.", "",
        "```", *description["training"]["commands"], "```", "",
        f"Settings: {config['optimizer']} lr {config['lr']}, {config['schedule']} (warm-up {config['warmup_steps']}),",
        f"{config['loss']} loss {json.dumps(config.get('loss_options', {}))}, batch {config['batch_size']} patches "
        f"{config['patch_size']}, foreground probability "
        f"{config['foreground_probability']}, {config['augmentation']} augmentation, EMA {config['ema_decay']}, "
        f"seed {config['seed']}, "
        f"context dropout {config.get('context_dropout', 0.0)}, one-sided context cut {config.get('context_cut', 0.0)}, "
        "windowed-export simulation "
        f"{config.get('export_simulation', 0.0)}.",
        "", "## Measured accuracy (held-out synthetic test set)", "",
    ]
    if metrics:
        lines += [
            f"`python benchmarks/accuracy_bench.py synth_test` on {description['metrics'].get('n_cases')} cases made with "
            "other seeds and the other half of the lesion-shape files (see benchmarks/results/accuracy_bench.json):", "",
            "| region | mean Dice | cases (with it or given it) | Dice where present | cases with it | cases given it "
            "wrongly |", "|---|---|---|---|---|---|",
            *[f"| {r} | {metrics.get('dice_' + r)} | {metrics.get('n_' + r)} | "
              f"{metrics.get(f'dice_{r}_where_present', '-')} | {metrics.get(f'n_{r}_present', '-')} | "
              f"{metrics.get(f'n_{r}_wrongly_given', '-')} |"
              for r in ("any", "IPH", "IVH", "SAH", "SDH", "EDH", "PHE", "extra-axial")], "",
            f"Dice(any) over the {metrics.get('n_positive_cases')} hemorrhage-positive cases alone: "
            f"{metrics.get('dice_any_positive_cases')} (above, a negative case with any false positive scores 0). "
            f"Predicted blood on the negative cases: {metrics.get('negative_cases', metrics.get('negative_cases_fp_ml'))} mL.", "",
            f"Any-hemorrhage volume: CCC {metrics.get('volume_ccc_any')}, Bland-Altman "
            f"{metrics.get('bland_altman_any_ml')} (mL, predicted - reference).", "",
        ]
    dice_any = metrics.get("dice_any")
    if dice_any is not None and dice_any < TARGET_DICE_ANY:
        lines += [f"**This model does not reach ichseg's target (Dice(any) >= {TARGET_DICE_ANY} on held-out synthetic "
                  f"data; it scores {dice_any}). Treat its output as a demonstration of the pipeline, not as a "
                  "measurement.**", ""]
    lines += [
        "## Limits",
        "- Trained and tested on synthetic images only. Real scans differ (reconstruction kernels, beam hardening,",
        "  motion, post-operative changes, calcifications, contrast); accuracy on real hemorrhage is not measured.",
        "- The only real anatomy seen in training is one normal GE scan (also the demo and false-positive check,",
        "  so that check is not independent).",
        "- Thick-slice axial CT (2.5-7 mm) of adults; no paediatric, no CTA, no MRI.",
        "- On heads without hemorrhage it can report blood that is not there (the negative cases above; mostly thin",
        "  SDH along the inner table, some SAH): check the preview before trusting a small volume.",
        f"- Post-processing removes every {PostprocessConfig().component_scope} component under "
        f"{PostprocessConfig().min_component_ml} mL (`ichseg predict --min-component-ml`, `--component-scope`, chosen on a",
        "  validation set: experiments/results/postprocessing.json), so a smaller bleed is not reported.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint")
    parser.add_argument("--model", choices=tuple(COMMANDS), default="default", help="which bundled model this is")
    parser.add_argument("-o", "--output", help="bundle folder (default: the bundled model's own)")
    parser.add_argument("--metrics", help="accuracy benchmark JSON to record in bundle.json")
    parser.add_argument("--weights", choices=("ema", "last"), default="ema",
                        help="EMA average (when the checkpoint has one) or the last weights")
    args = parser.parse_args()
    checkpoint = load_checkpoint(args.checkpoint)
    output = args.output or str(bundled_model_path(args.model))
    training = {"commands": COMMANDS[args.model], "steps": checkpoint["step"], "config": checkpoint["config"],
                "dataset": checkpoint["plan"].get("dataset"),
                "weights": "EMA" if args.weights == "ema" and checkpoint.get("ema") else "last"}
    metrics = json.loads(Path(args.metrics).read_text()) if args.metrics else {}
    description = export_bundle(checkpoint, output, name=f"ich_{args.model}", training=training, metrics=metrics,
                                use_ema=args.weights == "ema")
    if args.model == "default":
        (Path(output) / "MODEL_CARD.md").write_text(model_card(description.to_dict(), checkpoint))
    size = (Path(output) / "model.safetensors").stat().st_size / 1e6
    print(f"wrote {output}: {size:.1f} MB, sha256 {description.sha256[:16]}...")


if __name__ == "__main__":
    main()
