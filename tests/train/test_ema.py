import pytest
import torch
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from ichseg.train.ema import ema_model, warmed_up_decay


def _set(module: torch.nn.Module, value: float) -> None:
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.fill_(value)


def _run(average: AveragedModel, layer: torch.nn.Module, values) -> None:
    for value in values:
        _set(layer, value)
        average.update_parameters(layer)


def test_short_run_average_is_not_stuck_at_the_initial_weights():
    layer = torch.nn.Linear(3, 2)
    warmed = ema_model(layer, 0.999)
    plain = AveragedModel(layer, multi_avg_fn=get_ema_multi_avg_fn(0.999), use_buffers=True)
    for average in (warmed, plain):
        _run(average, layer, [0.0] + [1.0] * 200)
    assert float(plain.module.weight.detach().mean()) < 0.2  # what the trainer did before: mostly the start
    assert float(warmed.module.weight.detach().min()) > 0.99


def test_long_run_uses_the_full_decay():
    assert warmed_up_decay(0.999, 20_000) == 0.999
    assert warmed_up_decay(0.999, 100) < 0.999
    layer = torch.nn.Linear(1, 1, bias=False)
    average = ema_model(layer, 0.99)
    _run(average, layer, [0.0])
    average.n_averaged.fill_(10_000)  # as after a long run
    _run(average, layer, [1.0])
    assert float(average.module.weight.detach()) == pytest.approx(0.01, abs=1e-6)


def test_batch_norm_statistics_are_averaged_and_counters_copied():
    norm = torch.nn.BatchNorm1d(2)
    average = ema_model(norm, 0.999)
    average.update_parameters(norm)
    norm.train()
    for _ in range(5):
        norm(torch.randn(8, 2) + 3.0)
    average.update_parameters(norm)
    assert int(average.module.num_batches_tracked) == 5
    assert torch.all(average.module.running_mean > 0.05)  # moved towards the batches' mean of ~3


def test_resumed_average_continues_exactly():
    layer = torch.nn.Linear(2, 2)
    values = [0.1 * i for i in range(50)]
    whole = ema_model(layer, 0.999)
    _run(whole, layer, values)
    first = ema_model(layer, 0.999)
    _run(first, layer, values[:20])
    resumed = ema_model(torch.nn.Linear(2, 2), 0.999)
    resumed.load_state_dict(first.state_dict())
    _run(resumed, layer, values[20:])
    assert torch.equal(resumed.module.weight, whole.module.weight)
