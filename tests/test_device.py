"""Which device a command runs on, with and without torch."""

import sys

import pytest

from ichseg import device


def test_auto_is_the_cpu_without_asking_torch_where_no_driver_exists(monkeypatch):
    monkeypatch.setattr(device, "cuda_may_exist", lambda: False)
    monkeypatch.setitem(sys.modules, "torch", None)  # any import of torch would fail
    assert device.resolve_device_name("auto") == "cpu" and device.resolve_device_name("cpu") == "cpu"


def test_without_torch_auto_falls_back_to_the_cpu_and_cuda_says_what_is_missing(monkeypatch):
    monkeypatch.setattr(device, "cuda_may_exist", lambda: True)  # a machine with a driver
    monkeypatch.setitem(sys.modules, "torch", None)
    assert device.resolve_device_name("auto") == "cpu"
    with pytest.raises(ModuleNotFoundError) as raised:
        device.resolve_device_name("cuda")
    assert raised.value.name == "torch"  # the command line turns this into the install hint


def test_an_unknown_device_name_is_refused_in_one_line():
    with pytest.raises(ValueError, match="unknown device 'gpu0'"):
        device.resolve_device_name("gpu0")
