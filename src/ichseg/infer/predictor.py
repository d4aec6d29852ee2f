"""``Predictor``: a scan in, a label map on the scan's own grid out.

Steps: prepare the model input (RAS, the bundle's spacing and intensities), probabilities
(3D: sliding window with Gaussian blending; 2D/2.5D: each whole slice in one window, as
fully convolutional networks allow; optional flip TTA; averaged over an ensemble of
bundles), back to the input grid, post-processing. Memory and time stay small:
probabilities are float32 on the model grid, and only inside the box around predicted
hemorrhage, only the classes that win somewhere (plus background) are interpolated onto
the input grid, one at a time.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..device import cpu_threads, resolve_device_name
from ..io import Volume
from ..models.network_spec import NetworkSpec
from ..postprocess import PostprocessConfig, clipped_bone, postprocess
from ..preprocess import resample_to_grid
from ..preprocess.model_input import prepare_model_input
from ..quantify.uncertainty import VolumeCalibration, entropy_map, uncertain_volumes_ml
from .bundle import SLICE_MULTIPLE, ModelBundle, load_bundle
from .sliding_window import predict_probabilities

TTA_FLIPS = ((0,), (1,))  # left-right and front-back mirrors
# Slices (or 3D windows) per network call. On a CPU a larger batch is no faster (the
# convolutions already use every core) and holds its activations at once: one slice of
# the bundled model at 256x320 peaks about 0.1 GB lower than four (benchmarks/predict_phases.py).
BATCH_SIZE = {"cpu": 1, "cuda": 4}
PRECISIONS = ("float32", "bfloat16")
BOX_MARGIN = 2  # model-grid voxels around predicted hemorrhage that are mapped back with it


def input_box(grid: Volume, mask: np.ndarray, volume: Volume) -> tuple[slice, slice, slice] | None:
    """The box of ``volume``'s voxels covering ``mask`` (on ``grid``) plus a margin."""
    found = np.argwhere(mask)
    if found.size == 0:
        return None
    low = found.min(0) - BOX_MARGIN
    high = found.max(0) + BOX_MARGIN
    corners = np.array([[x, y, z] for x in (low[0], high[0]) for y in (low[1], high[1]) for z in (low[2], high[2])],
                       float)
    world = corners @ grid.affine[:3, :3].T + grid.affine[:3, 3]
    inverse = np.linalg.inv(volume.affine)
    voxels = world @ inverse[:3, :3].T + inverse[:3, 3]
    start = np.clip(np.floor(voxels.min(0)).astype(int) - 1, 0, np.array(volume.shape))
    stop = np.clip(np.ceil(voxels.max(0)).astype(int) + 2, 0, np.array(volume.shape))
    if np.any(stop <= start):
        return None
    return slice(int(start[0]), int(stop[0])), slice(int(start[1]), int(stop[1])), slice(int(start[2]), int(stop[2]))


def box_grid(volume: Volume, box: tuple[slice, slice, slice]) -> tuple[tuple[int, ...], np.ndarray]:
    """Shape and affine of the part ``box`` of ``volume``'s grid.

    Example:
        >>> shape, affine = box_grid(Volume(np.zeros((4, 4, 2)), np.diag([2.0, 2.0, 5.0, 1.0])),
        ...                          (slice(1, 3), slice(0, 4), slice(1, 2)))
        >>> shape, affine[:3, 3].tolist()
        ((2, 4, 1), [2.0, 0.0, 5.0])
    """
    affine = volume.affine.copy()
    affine[:3, 3] = volume.affine[:3, :3] @ np.array([s.start for s in box]) + volume.affine[:3, 3]
    return tuple(s.stop - s.start for s in box), affine


def winning_classes(probabilities: np.ndarray) -> np.ndarray:
    """uint8 argmax over the first axis of ``(K, ...)`` (the first class wins a tie, as
    ``argmax`` does): one running maximum over the classes, several times faster than
    ``argmax`` over the first axis of a volume's (transposed) probabilities.

    Example:
        >>> winning_classes(np.array([[0.2, 0.5], [0.7, 0.5], [0.1, 0.0]])).tolist()
        [1, 0]
    """
    best = np.array(probabilities[0])
    winners = np.zeros(best.shape, np.uint8)
    for value in range(1, len(probabilities)):
        better = probabilities[value] > best
        winners[better] = value
        np.maximum(best, probabilities[value], out=best)
    return winners


def onto_input_grid(grid: Volume, array: np.ndarray, shape, affine, *, order: int, cval: float) -> np.ndarray:
    """``array`` (on the model ``grid``) sampled on the input grid ``(shape, affine)``.

    Each model voxel stands for its whole cell, but SciPy interpolates nothing beyond the
    outer voxels' centres: input slices in the last half cell of a piece (the outer slices
    of a 3-slice export, mapped back from its 2 model slices) came back empty. The model
    array is therefore extended by one copy of its edge voxels on every side first.

    Example:
        >>> grid = Volume(np.zeros((1, 1, 2), np.float32), np.diag([1.0, 1.0, 5.0, 1.0]))
        >>> on_input = onto_input_grid(grid, np.array([[[1.0, 1.0]]], np.float32), (1, 1, 3),
        ...                            np.array([[1.0, 0, 0, 0], [0, 1, 0, 0], [0, 0, 4.0, -1.5], [0, 0, 0, 1]]),
        ...                            order=1, cval=0.0)
        >>> on_input[0, 0].tolist()  # the outer input slices lie 1.5 mm beyond the model slices' centres
        [1.0, 1.0, 1.0]
    """
    padded = np.pad(array, 1, mode="edge")
    moved = grid.affine.copy()
    moved[:3, 3] = grid.affine[:3, 3] - grid.affine[:3, :3] @ np.ones(3)
    return resample_to_grid(Volume(padded, moved), shape, affine, order=order, cval=cval).array


def _same_input(a: NetworkSpec, b: NetworkSpec) -> bool:
    return a.spacing == b.spacing and a.normalization == b.normalization


class Predictor:
    """Segment head CTs with one bundle or an ensemble.

    Args:
        bundles: loaded model bundles (same spacing and intensity scheme for an ensemble).
        device: ``auto``, ``cpu`` or ``cuda`` (``cuda:N``).
        tta: average over left-right and front-back flips as well.
        fast: labels (not probabilities) are mapped back to the input grid (nearest).
        postprocessing: steps after prediction.
        threads: CPU threads of the torch networks (default: every core this process may
            use; an ONNX graph's threads are fixed when it is loaded, see :func:`load_predictor`).
        precision: on the CPU, ``float32`` or ``bfloat16`` (torch networks under bfloat16
            autocast, channels last: about twice the network speed of float32 and of ONNX
            Runtime on a CPU with AVX-512 BF16, ``benchmarks/cpu_precision_bench.py``). CUDA
            always runs float16 autocast.
    """

    def __init__(self, bundles: Sequence[ModelBundle], *, device: str = "auto", tta: bool = False, fast: bool = False,
                 postprocessing: PostprocessConfig = PostprocessConfig(), threads: int | None = None,
                 precision: str = "float32") -> None:
        if not bundles:
            raise ValueError("no model given")
        first = bundles[0].spec
        for bundle in bundles[1:]:
            if not _same_input(first, bundle.spec):
                raise ValueError(f"ensemble members need the same spacing and intensities: {bundle.name} differs")
        self.bundles = list(bundles)
        self.device = resolve_device_name(device)
        exported = [bundle.name for bundle in bundles if bundle.exported]
        if exported and self.device != "cpu":
            raise ValueError(f"ONNX graphs run on the CPU only ({', '.join(exported)}); "
                             "load them with load_bundle(..., onnx=False) for a GPU")
        if precision not in PRECISIONS:
            raise ValueError(f"precision is one of {', '.join(PRECISIONS)}, not {precision!r}")
        if exported and precision == "bfloat16":
            raise ValueError(f"bfloat16 runs torch networks, not ONNX graphs ({', '.join(exported)}); "
                             "load them with load_bundle(..., onnx=False)")
        self.precision = precision
        self.amp = self.device.startswith("cuda") or precision == "bfloat16"
        self.tta, self.fast, self.postprocessing = tta, fast, postprocessing
        self.threads = (threads or cpu_threads()) if self.device == "cpu" else None
        modules = [bundle.network for bundle in self.bundles if not bundle.exported]
        if modules:  # torch networks (an ONNX graph has its own threads, fixed in eval mode on the CPU)
            import torch  # noqa: PLC0415

            if self.threads:
                torch.set_num_threads(self.threads)
            for module in modules:
                module.to(torch.device(self.device)).eval()  # type: ignore[union-attr]
                if self.amp and self.device == "cpu":  # bf16 kernels are fastest on channels-last weights
                    module.to(memory_format=torch.channels_last)  # type: ignore[union-attr]

    @staticmethod
    def _window(spec: NetworkSpec, shape: Sequence[int]) -> tuple[list[int], float]:
        if spec.spatial_dims == 2:
            return [int(np.ceil(n / SLICE_MULTIPLE) * SLICE_MULTIPLE) for n in shape[:2]], 0.0
        return list(spec.patch_size), 0.5

    def probabilities(self, volume: Volume) -> tuple[np.ndarray, Volume]:
        """Class probabilities ``(K, X, Y, Z)`` (float32) on the model grid and that grid (a Volume)."""
        spec = self.bundles[0].spec
        prepared = prepare_model_input(volume, spec.spacing, spec.normalization,
                                       keep_thicker_slices=spec.spatial_dims == 2)
        total: np.ndarray | None = None
        for bundle in self.bundles:
            patch, overlap = self._window(bundle.spec, prepared.channels.shape[1:])
            probabilities = predict_probabilities(
                bundle.network, prepared.channels, patch_size=patch, context_slices=bundle.spec.context_slices,
                overlap=overlap, device=self.device, amp=self.amp,
                batch_size=BATCH_SIZE.get(self.device.split(":")[0], 4),
                flip_axes=TTA_FLIPS if self.tta else ())
            if total is None:
                total = probabilities
            else:
                total += probabilities
        assert total is not None  # __init__ refuses an empty list of bundles
        if len(self.bundles) > 1:
            total /= np.float32(len(self.bundles))
        return total, prepared.grid

    def predict(self, volume: Volume) -> Volume:
        """uint8 labels on ``volume``'s own grid and affine."""
        probabilities, grid = self.probabilities(volume)
        return self._labels(probabilities, grid, volume)

    def volume_calibration(self) -> tuple[VolumeCalibration | None, str]:
        """The calibration of the volume intervals for this predictor's settings, or None
        and why: intervals hold only for the model, TTA and post-processing they were
        calibrated with."""
        calibration = self.bundles[0].calibration
        if len(self.bundles) > 1:
            return None, "no volume intervals: an ensemble has no calibration of its own"
        if calibration is None:
            return None, f"no volume intervals: model {self.bundles[0].name} has no uncertainty calibration"
        expected = calibration.source.get("postprocessing")
        if expected is not None and expected != self.postprocessing.to_dict():
            return None, "no volume intervals: the post-processing differs from the calibrated one"
        if calibration.source.get("tta") is not None and calibration.source["tta"] != self.tta:
            return None, "no volume intervals: calibrated with TTA " + ("on" if calibration.source["tta"] else "off")
        return calibration, ""

    def predict_with_uncertainty(self, volume: Volume) -> tuple[Volume, Volume, list[float]]:
        """Labels, the uncertainty map (normalised entropy of the probabilities averaged
        over TTA passes and ensemble members, float32 on ``volume``'s grid) and the
        uncertain volume per class in mL (see :mod:`ichseg.quantify.uncertainty`)."""
        probabilities, grid = self.probabilities(volume)
        uncertain = uncertain_volumes_ml(probabilities, grid.voxel_volume_ml)
        entropy = onto_input_grid(grid, entropy_map(probabilities), volume.shape, volume.affine,
                                  order=1, cval=0.0).astype(np.float32)
        labels = self._labels(probabilities, grid, volume)
        return labels, Volume(entropy, volume.affine.copy(), {"format": "ichseg uncertainty"}), uncertain

    def _labels(self, probabilities: np.ndarray, grid: Volume, volume: Volume) -> Volume:
        winners = winning_classes(probabilities)
        labels = np.zeros(volume.shape, np.uint8)
        box = input_box(grid, winners > 0, volume)
        if box is not None:
            shape, affine = box_grid(volume, box)
            not_blood = self._not_blood(volume)
            # outside the box every label is 0, so post-processing the box alone is exact (and fast)
            labels[box] = postprocess(self._map_back(probabilities, winners, grid, shape, affine), volume.spacing,
                                      self.postprocessing, None if not_blood is None else not_blood[box])
        return Volume(labels, volume.affine.copy(), {"format": "ichseg segmentation"})

    def _not_blood(self, volume: Volume) -> np.ndarray | None:
        """The clipped skull where ``volume`` was read from windowed 8-bit images (its metadata
        holds the display window), else None: on HU input bone and blood differ."""
        window = volume.metadata.get("window")
        if window is None or not self.postprocessing.clipped_bone_not_blood:
            return None
        return clipped_bone(volume.array, volume.spacing, window)

    def _map_back(self, probabilities: np.ndarray, winners: np.ndarray, grid: Volume, shape, affine) -> np.ndarray:
        """Labels on the grid ``(shape, affine)``: nearest (``fast``) or interpolated probabilities."""
        if self.fast:
            return onto_input_grid(grid, winners, shape, affine, order=0, cval=0)
        best = np.full(shape, -1.0, np.float32)
        labels = np.zeros(shape, np.uint8)
        for value in [0] + [int(c) for c in np.unique(winners) if c]:
            resampled = onto_input_grid(grid, probabilities[value], shape, affine, order=1,
                                        cval=1.0 if value == 0 else 0.0)
            better = resampled > best
            best[better] = resampled[better]
            labels[better] = value
        return labels


def models_for_input(models: Sequence[str], window: Sequence[float] | None) -> tuple[str, ...]:
    """The models to run: with a display window (8-bit slice exports) and the default model,
    the bundled model trained to read such exports (``windowed``, see its model card).

    Example:
        >>> models_for_input(["default"], (40, 80)), models_for_input(["default"], None)
        (('windowed',), ('default',))
    """
    return ("windowed",) if window is not None and tuple(models) == ("default",) else tuple(models)


def load_predictor(models: Sequence[str], *, device: str = "auto", tta: bool = False, fast: bool = False,
                   postprocessing: PostprocessConfig = PostprocessConfig(), threads: int | None = None,
                   precision: str = "float32") -> Predictor:
    """A Predictor of bundles by name or path; on the CPU in float32 a bundle's ONNX graph is
    run (ONNX Runtime, no torch) where it has one. ``threads``: CPU threads (default: every
    core this process may use); ``precision``: see :class:`Predictor`.

    Raises:
        KeyError, ValueError: an unknown or broken model, or an unusable device.
    """
    onnx = resolve_device_name(device) == "cpu" and precision == "float32"
    bundles = [load_bundle(name, onnx=onnx, threads=threads) for name in models]
    return Predictor(bundles, device=device, tta=tta, fast=fast, postprocessing=postprocessing, threads=threads,
                     precision=precision)
