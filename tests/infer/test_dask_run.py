"""predict on a 2-worker local Dask cluster: the outputs of a serial run, and the cases of
a worker killed mid-run redone by the others."""

import json
import os
import signal
import threading
import time

import nibabel as nib
import numpy as np
import pytest

from ichseg.infer.bundle import load_bundle
from ichseg.infer.predictor import Predictor
from ichseg.infer.run import predict_inputs
from ichseg.io import Volume, write_nifti

distributed = pytest.importorskip("distributed", reason="Dask distributed is not installed (ichseg[cluster])")

from ichseg.infer.dask_run import predict_inputs_dask  # noqa: E402


def _cohort(folder, n=6):
    rng = np.random.default_rng(0)
    for k in range(n):
        shape = (64, 64, 8 + k)
        image = np.where(np.indices(shape)[0] > 10, 35, -1000) + rng.normal(0, 5, shape)
        write_nifti(Volume(image.astype(np.int16), np.diag([0.9, 0.9, 5.0, 1.0])), folder / f"scan_{k}.nii.gz")
    return folder


def _outputs(folder):
    cases = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    return {p.name: (np.asarray(nib.load(p / "segmentation.nii.gz").dataobj).tobytes(),
                     json.loads((p / "volumes.json").read_text())) for p in cases}


@pytest.fixture(scope="module")
def serial(tmp_path_factory, tiny_bundle):
    folder = tmp_path_factory.mktemp("dask")
    inputs = _cohort(folder / "in")
    predict_inputs(inputs, folder / "serial", Predictor([load_bundle(tiny_bundle)], device="cpu"), progress=False)
    return inputs, _outputs(folder / "serial")


def test_a_local_cluster_gives_the_serial_outputs(serial, tmp_path, tiny_bundle):
    inputs, expected = serial
    rows = predict_inputs_dask(inputs, tmp_path / "out", {"models": (str(tiny_bundle),)}, n_workers=2,
                               progress=False)
    assert [r["status"] for r in rows] == ["ok"] * 6
    assert _outputs(tmp_path / "out") == expected
    run = json.loads((tmp_path / "out" / "run.json").read_text())
    assert len(run["dask"]["worker_pids"]) == 2  # both workers did cases
    assert (tmp_path / "out" / "report.html").is_file()


@pytest.mark.slow
def test_the_cases_of_a_killed_worker_are_redone(serial, tmp_path, tiny_bundle, monkeypatch):
    """A worker is killed (SIGKILL) while it holds cases; the run still finishes every case,
    identical to the serial run."""
    inputs, expected = serial
    killed: dict = {}
    original_client = distributed.Client

    class KillingClient(original_client):
        """Kills the first worker that is processing a case, once."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            threading.Thread(target=self._kill_one, daemon=True).start()

        def _kill_one(self):
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not killed:
                try:
                    busy = {w: tasks for w, tasks in self.processing().items() if tasks}
                    if busy:
                        address, tasks = next(iter(busy.items()))
                        pid = self.run(os.getpid, workers=[address])[address]
                        killed.update(address=address, tasks=list(tasks), pid=pid)
                        os.kill(pid, signal.SIGKILL)
                        return
                except Exception:  # noqa: BLE001  (the cluster may be starting or closing)
                    pass
                time.sleep(0.02)

    monkeypatch.setattr(distributed, "Client", KillingClient)
    rows = predict_inputs_dask(inputs, tmp_path / "out", {"models": (str(tiny_bundle),)}, n_workers=2,
                               progress=False)
    assert killed and killed["tasks"], "no worker was killed while it held cases"
    assert [r["status"] for r in rows] == ["ok"] * 6
    assert _outputs(tmp_path / "out") == expected
    assert all(r["worker_pid"] != killed["pid"] for r in rows if r["case"] in
               {t.removeprefix("ichseg-case-") for t in killed["tasks"]})


@pytest.mark.parametrize(("options", "message"), [
    (["--dask-workers", "0"], "--dask-workers must be at least 1"),
    (["--dask-workers", "2", "--model", "no_such_model"], "no_such_model"),
])
def test_the_cli_refuses_bad_dask_options_before_starting_a_cluster(tmp_path, options, message, capsys):
    from ichseg.cli.main import main

    _cohort(tmp_path / "in", 1)
    with pytest.raises(SystemExit) as stop:
        main(["predict", "-i", str(tmp_path / "in"), "-o", str(tmp_path / "out"), *options])
    assert message in str(stop.value)
