"""Infratentorial origin (``ichseg.quantify.location``) against the generator's own
location of each IPH, on synthetic cases with one IPH type (issue #20).

Usage: ``python benchmarks/location_bench.py [--cases 60] [--pixel-mm 1.5]``; writes
``benchmarks/results/location_bench.json``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ichseg.data.synth import SynthConfig, generate_case
from ichseg.labels import IPH
from ichseg.quantify.location import iph_infratentorial

RESULTS = Path(__file__).parent / "results" / "location_bench.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=60)
    parser.add_argument("--pixel-mm", type=float, default=1.5)
    args = parser.parse_args()
    config = SynthConfig(types=("IPH",), negative_fraction=0.0, pixel_mm=args.pixel_mm)
    rows = []
    for seed in range(args.cases):
        case = generate_case(seed, config)
        locations = [d.get("location") for d in case.lesions if d.get("type") == "IPH"]
        if not locations or not (case.labels.array == IPH).any():
            continue
        found = iph_infratentorial(case.image, case.labels.array)
        rows.append({"seed": seed, "location": locations[0], "found_infratentorial": found,
                     "agrees": found == (locations[0] == "infratentorial"),
                     "gantry_tilt_deg": case.parameters["gantry_tilt_deg"]})
        print(rows[-1], flush=True)
    positives = [r for r in rows if r["location"] == "infratentorial"]
    summary = {"cases": len(rows), "agree": sum(r["agrees"] for r in rows),
               "infratentorial_cases": len(positives), "infratentorial_found": sum(r["agrees"] for r in positives),
               "supratentorial_called_infratentorial": sum(not r["agrees"] for r in rows if r not in positives)}
    print(json.dumps(summary, indent=1))
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"summary": summary, "cases": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
