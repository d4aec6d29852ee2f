"""The standing corpus of bad inputs: each kind is built here, in the test's folder, from
a small synthetic head (no binaries are committed).

A kind is ``Kind(name, path, problem, warning)``: ``problem`` is a regular expression the
one-line error must match (the reader refuses the input), or ``warning`` one that a
warning of a case that still runs must match.
"""

from __future__ import annotations

import gzip
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: dicom_factory
import pydicom

from dicom_factory import write_series
from ichseg.io import Volume, write_nifti

SPACING = (1.5, 1.5, 5.0)


@dataclass(frozen=True)
class Kind:
    name: str
    path: Path
    problem: str = ""  # refused: the error matches this
    warning: str = ""  # read with a warning that matches this


def head_hu(shape=(128, 128, 8)) -> np.ndarray:
    """A head-like HU image: air, a 6 mm skull, brain (35 HU) with a ventricle (8 HU)."""
    x, y = np.mgrid[: shape[0], : shape[1]].astype(np.float32)
    r = np.hypot((x - shape[0] / 2) / (0.40 * shape[0]), (y - shape[1] / 2) / (0.46 * shape[1]))
    image = np.where(r < 1.0, 1000.0, -1000.0)
    image = np.where(r < 0.92, 35.0, image)
    image = np.where(np.hypot(x - shape[0] / 2, y - shape[1] / 2) < 8, 8.0, image)
    noise = np.random.default_rng(0).normal(0, 4, shape)
    return (image[:, :, None] + noise).astype(np.float32)


def write_head(path: Path, array: np.ndarray | None = None, affine: np.ndarray | None = None) -> Path:
    array = head_hu() if array is None else array
    affine = np.diag([*SPACING, 1.0]) if affine is None else affine
    return write_nifti(Volume(array, affine), path)


def _dicom_head(folder: Path, n: int = 4, **options) -> list[Path]:
    values = lambda points: np.where(np.linalg.norm(points[..., :2], axis=-1) < 20, 35.0, -1000.0)  # noqa: E731
    return write_series(folder, values, positions=[(-32.0, -32.0, 5.0 * k) for k in range(n)], **options)


def _edit(path: Path, **tags) -> None:
    dataset = pydicom.dcmread(path)
    for keyword, value in tags.items():
        if value is None:
            delattr(dataset, keyword)
        else:
            setattr(dataset, keyword, value)
    dataset.save_as(path)


def _patch_text(path: Path, keyword: str, placeholder, text: bytes) -> None:
    """Store ``text`` as a tag's value, which pydicom refuses to write itself: write a
    placeholder of the same length, then replace its bytes in the file."""
    _edit(path, **{keyword: placeholder})
    data = path.read_bytes()
    marker = str(placeholder[1] if isinstance(placeholder, list) else placeholder).encode()
    assert data.count(marker) == 1 and len(marker) == len(text)
    path.write_bytes(data.replace(marker, text))


def build_reader_corpus(root: Path) -> list[Kind]:
    """Every kind read by ``read_volume``, written under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    kinds: list[Kind] = []

    def add(name, path, problem="", warning=""):
        kinds.append(Kind(name, Path(path), problem, warning))

    # --- DICOM ---
    good = _dicom_head(root / "dicom_good")
    data = good[0].read_bytes()
    (root / "truncated.dcm").write_bytes(data[: len(data) // 2])
    add("truncated DICOM", root / "truncated.dcm", r"truncated\.dcm: .*(cannot|corrupt|decoded|DICOM)")
    (root / "random.dcm").write_bytes(np.random.default_rng(1).bytes(4096))
    add("random bytes .dcm", root / "random.dcm", r"random\.dcm: not a recognised image format")
    (root / "random_folder").mkdir()
    for k in range(3):
        (root / "random_folder" / f"f{k}").write_bytes(np.random.default_rng(k).bytes(2048))
    add("folder of random bytes", root / "random_folder", r"random_folder: no DICOM image series found among 3 files "
        r"\(f0: not a DICOM file")
    (root / "fake_preamble.dcm").write_bytes(b"\0" * 128 + b"DICM" + np.random.default_rng(2).bytes(512))
    add("fake DICOM preamble", root / "fake_preamble.dcm", r"fake_preamble\.dcm: ")
    (root / "empty.dcm").write_bytes(b"")
    add("empty file", root / "empty.dcm", r"empty\.dcm: empty file")
    (root / "empty_folder").mkdir()
    add("empty folder", root / "empty_folder", r"empty_folder: empty folder")
    paths = _dicom_head(root / "slope_text")
    _patch_text(paths[1], "RescaleSlope", 9.75, b"one ")
    add("non-numeric RescaleSlope", root / "slope_text", r"slice001\.dcm: RescaleSlope is not a number")
    paths = _dicom_head(root / "slope_zero")
    _edit(paths[2], RescaleSlope=0)
    add("RescaleSlope 0", root / "slope_zero", r"slice002\.dcm: RescaleSlope is 0")
    paths = _dicom_head(root / "no_rescale")
    for path in paths:
        _edit(path, RescaleSlope=None, RescaleIntercept=None)
    add("missing rescale tags", root / "no_rescale", warning=r"4 of 4 slices have no RescaleSlope/RescaleIntercept")
    paths = _dicom_head(root / "wrong_slope")
    _edit(paths[1], RescaleSlope=2000)
    add("one slice with a wrong slope", root / "wrong_slope", warning=r"HU above 32767 .* slice001\.dcm")
    paths = _dicom_head(root / "nan_position")
    _patch_text(paths[1], "ImagePositionPatient", [-32.0, -31.25, 5.0], b"nan   ")
    add("NaN slice position", root / "nan_position", r"slice001\.dcm: ImagePositionPatient must be 3 finite numbers")
    paths = _dicom_head(root / "outlier_normal")
    _edit(paths[3], ImagePositionPatient=[-32.0, -32.0, 90000.0])
    add("outlier position along the normal", root / "outlier_normal", r"slice003\.dcm: slice lies .* along the slice normal")
    paths = _dicom_head(root / "outlier_inplane")
    _edit(paths[2], ImagePositionPatient=[50000.0, -32.0, 10.0])
    add("outlier in-plane offset", root / "outlier_inplane", r"slice002\.dcm: slice lies .* sideways")
    paths = _dicom_head(root / "rgb")
    for path in paths:
        dataset = pydicom.dcmread(path)
        dataset.SamplesPerPixel, dataset.PhotometricInterpretation, dataset.PlanarConfiguration = 3, "RGB", 0
        dataset.BitsAllocated, dataset.BitsStored, dataset.HighBit, dataset.PixelRepresentation = 8, 8, 7, 0
        dataset.PixelData = np.zeros((64, 64, 3), np.uint8).tobytes()
        dataset.save_as(path)
    add("RGB secondary capture", root / "rgb", r"not a grayscale CT image \(RGB\)")
    paths = _dicom_head(root / "duplicates")
    _edit(paths[1], ImagePositionPatient=[-32.0, -32.0, 0.0])
    add("duplicate slice positions", root / "duplicates", r"same slice position as")
    _dicom_head(root / "mixed_sizes", n=2)
    _dicom_head(root / "mixed_sizes", n=1, shape=(32, 32), prefix="small",
                series_uid=str(pydicom.dcmread(root / "mixed_sizes" / "slice000.dcm").SeriesInstanceUID))
    add("mixed slice sizes", root / "mixed_sizes", r"slice size .* differs")
    _dicom_head(root / "mr", modality="MR")
    add("MR series", root / "mr", r"mr: .*modality is MR, not CT|mr: no .*CT")
    paths = _dicom_head(root / "no_geometry")
    _edit(paths[1], ImagePositionPatient=None)
    add("missing geometry tags", root / "no_geometry", r"slice001\.dcm: missing geometry tags ImagePositionPatient")
    paths = _dicom_head(root / "zero_spacing")
    for path in paths:
        _edit(path, PixelSpacing=[0.0, 0.0])
    add("zero pixel spacing", root / "zero_spacing", r"PixelSpacing must be positive")
    paths = _dicom_head(root / "degenerate_orientation")
    for path in paths:
        _edit(path, ImageOrientationPatient=[1.0, 0.0, 0.0, 1.0, 0.0, 0.0])
    add("degenerate orientation", root / "degenerate_orientation", r"does not give two independent directions")
    paths = _dicom_head(root / "no_pixels", n=1)
    _edit(paths[0], PixelData=None)
    add("DICOM without pixel data", paths[0], r"slice000\.dcm: DICOM object without image data")

    # --- NIfTI ---
    head = write_head(root / "head_good.nii.gz")
    data = head.read_bytes()
    (root / "truncated.nii.gz").write_bytes(data[: len(data) // 3])
    add("truncated NIfTI", root / "truncated.nii.gz", r"truncated\.nii\.gz: cannot read NIfTI")
    (root / "not_gzip.nii.gz").write_bytes(b"plain text, not gzip\n")
    add("not gzip, named .nii.gz", root / "not_gzip.nii.gz", r"not_gzip\.nii\.gz: cannot read NIfTI")
    (root / "not_nifti.nii").write_bytes(gzip.decompress(data)[:100])
    add("NIfTI header cut", root / "not_nifti.nii", r"not_nifti\.nii: cannot read NIfTI")
    import nibabel as nib

    nib.save(nib.Nifti1Image(np.zeros((20, 20), np.int16), np.eye(4)), str(root / "flat.nii.gz"))
    add("2D NIfTI", root / "flat.nii.gz", r"flat\.nii\.gz: expected a 3D image")
    nib.save(nib.Nifti1Image(np.zeros((8, 8, 4, 3), np.int16), np.eye(4)), str(root / "series4d.nii.gz"))
    add("4D NIfTI", root / "series4d.nii.gz", r"series4d\.nii\.gz: expected a 3D image")
    nib.save(nib.Nifti1Image(head_hu(), np.diag([*SPACING, 1.0])), str(root / "plain.nii"))
    header = bytearray((root / "plain.nii").read_bytes())
    header[88:92] = np.float32(0).tobytes()  # pixdim[3]: qform voxel size 0
    header[312:328] = np.zeros(4, np.float32).tobytes()  # srow_z: the sform's third row
    (root / "zero_pixdim.nii.gz").write_bytes(gzip.compress(bytes(header)))
    (root / "plain.nii").unlink()
    add("zero pixdim / singular affine", root / "zero_pixdim.nii.gz", r"zero_pixdim\.nii\.gz: no usable voxel-to-world")
    nan_head = head_hu()
    nan_head[40:50, 40:50, 2] = np.nan
    nan_head[0, 0, 0] = np.inf
    write_head(root / "nan.nii.gz", nan_head)
    add("NaN/Inf voxels", root / "nan.nii.gz", warning=r"101 voxels are NaN or infinite")
    sheared = np.diag([*SPACING, 1.0])
    sheared[0, 2] = 2.0
    write_head(root / "sheared.nii.gz", affine=sheared)
    add("sheared affine", root / "sheared.nii.gz", warning=r"sheared voxel grid")
    write_head(root / "all_zero.nii.gz", np.zeros((128, 128, 8), np.float32))
    add("all-zero volume", root / "all_zero.nii.gz", warning=r"almost no air")
    write_head(root / "tiny.nii.gz", head_hu((20, 20, 2)))
    add("tiny volume", root / "tiny.nii.gz", warning=r"field of view 30x30 mm is too small")
    write_head(root / "extreme.nii.gz", head_hu() + 18000)
    add("extreme HU", root / "extreme.nii.gz", warning=r"median value \d+ is not a CT number")
    write_head(root / "raw_stored.nii.gz", head_hu() + 1024)
    add("stored values read as HU", root / "raw_stored.nii.gz", warning=r"almost no air")
    write_head(root / "chest.nii.gz", chest_hu(), np.diag([0.8, 0.8, 5.0, 1.0]))
    add("chest CT by mistake", root / "chest.nii.gz", warning=r"larger than a head|lung-like tissue")

    # --- other formats ---
    np.save(root / "array.npy", head_hu())
    add("NumPy array without --spacing", root / "array.npy", r"array\.npy: .*spacing")
    (root / "corrupt.npz").write_bytes(b"PK\x03\x04 not really a zip")
    add("corrupt .npz", root / "corrupt.npz", r"corrupt\.npz: ")
    (root / "png_slices").mkdir()
    for k in range(3):
        Image.fromarray(np.full((64, 64), 40 * k, np.uint8)).save(root / "png_slices" / f"{k:03d}.png")
    add("PNG slices without --window", root / "png_slices", r"png_slices: .*window")
    (root / "notes.txt").write_text("not an image\n")
    add("text file", root / "notes.txt", r"notes\.txt: not a recognised image format")
    add("missing path", root / "does_not_exist.nii.gz", r"does_not_exist\.nii\.gz: no such file or folder")
    os.symlink(root / "gone.nii.gz", root / "dangling.nii.gz")
    add("dangling symbolic link", root / "dangling.nii.gz", r"dangling\.nii\.gz: no such file or folder")
    return kinds


def chest_hu(shape=(440, 320, 12)) -> np.ndarray:
    """A chest stand-in at 0.8 mm: a 340x240 mm body, two lungs (-850 HU), a spine."""
    x, y = np.mgrid[: shape[0], : shape[1]].astype(np.float32) * 0.8
    cx, cy = shape[0] * 0.4, shape[1] * 0.4
    body = ((x - cx) / 170) ** 2 + ((y - cy) / 120) ** 2 < 1
    image = np.where(body, 40.0, -1000.0)
    for side in (-1, 1):
        lung = ((x - cx - side * 75) / 55) ** 2 + ((y - cy + 5) / 80) ** 2 < 1
        image = np.where(lung, -850.0, image)
    image = np.where(np.hypot(x - cx, y - cy - 85) < 18, 700.0, image)
    return (image[:, :, None] + np.random.default_rng(3).normal(0, 8, shape)).astype(np.float32)


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file below ``root`` (symbolic links as their target text) with its content."""
    files = {}
    for path in sorted(root.rglob("*")):
        if path.is_symlink():
            files[str(path)] = os.readlink(path).encode()
        elif path.is_file():
            files[str(path)] = path.read_bytes()
    return files
