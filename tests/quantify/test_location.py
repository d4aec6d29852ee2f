import numpy as np
import pytest

from ichseg.data.synth import SynthConfig, generate_case
from ichseg.io import Volume
from ichseg.quantify.location import iph_infratentorial

CONFIG = SynthConfig(types=("IPH",), negative_fraction=0.0, pixel_mm=1.5)


@pytest.mark.parametrize(("seed", "infratentorial"), [(17, True), (36, True), (37, False), (41, False)])
def test_infratentorial_origin_agrees_with_where_the_generator_put_the_clot(seed, infratentorial):
    """Seeds whose IPH the generator placed in the posterior fossa (17, 36), lobar (37) or deep (41);
    benchmarks/location_bench.py runs 60 cases."""
    case = generate_case(seed, CONFIG)
    location = next(d["location"] for d in case.lesions if d.get("type") == "IPH")
    assert (location == "infratentorial") is infratentorial
    assert iph_infratentorial(case.image, case.labels.array) is infratentorial


def test_no_iph_or_no_head_gives_no_answer():
    case = generate_case(17, CONFIG)
    assert iph_infratentorial(case.image, np.zeros(case.image.shape, np.uint8)) is None
    air = Volume(np.full((20, 20, 5), -1000.0, np.float32), np.diag([1.0, 1.0, 5.0, 1.0]))
    labels = np.zeros(air.shape, np.uint8)
    labels[5:8, 5:8, 2] = 1
    assert iph_infratentorial(air, labels) is None
