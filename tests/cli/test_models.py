"""``ichseg models``."""

from __future__ import annotations

import json

from ichseg.cli.main import main
from ichseg.models import MODELS


def test_models_json_lists_both_registries(capsys):
    assert main(["models", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    by_name = {(row["name"], row["spatial_dims"]): row for row in listing["models"]}
    assert abs(by_name[("nnunet_r", 3)]["parameters"] - 22.01e6) < 0.05e6
    assert by_name[("unet2d", 2)]["input_multiple"] == [32, 32]
    assert {"dice", "dice_ce", "dice_focal", "focal", "tversky", "focal_tversky", "dice_topk", "jaccard", "ce"} <= {
        row["name"] for row in listing["losses"]}
    assert len(by_name) == sum(len(MODELS.entry(n).metadata["dims"]) for n in MODELS.names())
