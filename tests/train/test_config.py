import pytest
import torch

from ichseg.train.config import TrainingConfig, read_config_file
from ichseg.train.optim import build_optimizer, build_schedule
from ichseg.train.recipes import recipe_settings


def test_recipe_then_file_then_flags(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("lr: 0.05\nmax_steps: 10\n")
    config = TrainingConfig().merged({**recipe_settings("viola"), **read_config_file(path), "max_steps": 20})
    assert config.model == "viola_unet_s" and config.lr == 0.05 and config.max_steps == 20
    assert config.patch_size == [160, 160, 16] and config.batch_size == 2


def test_bad_settings_are_refused(tmp_path):
    with pytest.raises(ValueError, match="configuration"):
        TrainingConfig().merged({"configuration": "4d"})
    with pytest.raises(ValueError, match="2.5D"):
        TrainingConfig().merged({"configuration": "3d", "context_slices": 1})
    for decay in (1.0, 1.5, -0.1):
        with pytest.raises(ValueError, match="ema_decay"):
            TrainingConfig().merged({"ema_decay": decay})
    assert TrainingConfig().merged({"ema_decay": 0.999}).ema_decay == 0.999
    assert TrainingConfig().merged({"ema_decay": 0}).ema_decay == 0  # off, as before
    (tmp_path / "bad.yaml").write_text("- a list\n")
    with pytest.raises(ValueError, match="bad.yaml"):
        read_config_file(tmp_path / "bad.yaml")


@pytest.mark.parametrize("schedule", ["poly", "warmup_cosine", "constant"])
def test_schedules(schedule):
    config = TrainingConfig(schedule=schedule, max_steps=100, warmup_steps=10, lr=1.0, optimizer="sgd")
    parameter = torch.nn.Parameter(torch.zeros(1))
    optimizer = build_optimizer([parameter], config)
    schedule_ = build_schedule(optimizer, config)
    rates = []
    for _ in range(100):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        schedule_.step()
    if schedule == "constant":
        assert rates == [1.0] * 100
    else:
        assert rates[50] < max(rates) and rates[-1] < 0.1
    if schedule == "warmup_cosine":
        assert rates[0] < rates[5] < rates[10]
