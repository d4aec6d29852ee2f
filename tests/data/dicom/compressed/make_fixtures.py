"""Regenerate the compressed-DICOM fixtures from one real GE slice (needs dcmtk on PATH).

Each file is slice 12 of the shipped GE head CT in another transfer syntax:
JPEG lossless (process 14 SV1), JPEG 2000 lossless, RLE lossless, JPEG extended
12-bit (lossy) and JPEG baseline 8-bit (lossy, from a windowed 8-bit copy).
Run from the repository root: ``python tests/data/dicom/compressed/make_fixtures.py``.
"""

import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pydicom
from pydicom.uid import JPEG2000Lossless

HERE = Path(__file__).parent
SOURCE = Path("src/ichseg/resources/ge_head_ct/12.dcm")


def main() -> None:
    subprocess.run(["dcmcjpeg", "+e1", str(SOURCE), str(HERE / "jpeg_lossless_sv1.dcm")], check=True)
    subprocess.run(["dcmcrle", str(SOURCE), str(HERE / "rle_lossless.dcm")], check=True)
    dataset = pydicom.dcmread(SOURCE)
    dataset.compress(JPEG2000Lossless)
    dataset.save_as(HERE / "jpeg2000_lossless.dcm")
    # 12-bit extended JPEG: shift the stored values into 0..4095 (intercept absorbs it).
    dataset = pydicom.dcmread(SOURCE)
    stored = dataset.pixel_array.astype(np.int32)
    dataset.PixelRepresentation = 0
    dataset.BitsStored, dataset.HighBit = 12, 11
    dataset.RescaleIntercept = float(dataset.RescaleIntercept) - 1500
    dataset.PixelData = np.clip(stored + 1500, 0, 4095).astype(np.uint16).tobytes()
    del dataset.PixelPaddingValue
    with tempfile.TemporaryDirectory() as temporary:
        twelve = Path(temporary) / "twelve.dcm"
        dataset.save_as(twelve)
        subprocess.run(["dcmcjpeg", "+ee", "+q", "95", str(twelve), str(HERE / "jpeg_extended_12bit.dcm")], check=True)
        # 8-bit baseline: a 0..255 copy in the window -100..410 HU (2 HU per grey level).
        eight = pydicom.dcmread(SOURCE)
        hu = eight.pixel_array.astype(np.float32) * float(eight.RescaleSlope) + float(eight.RescaleIntercept)
        eight.BitsAllocated, eight.BitsStored, eight.HighBit, eight.PixelRepresentation = 8, 8, 7, 0
        eight.RescaleSlope, eight.RescaleIntercept = 2.0, -100.0
        eight.PixelData = np.clip(np.round((hu + 100) / 2), 0, 255).astype(np.uint8).tobytes()
        del eight.PixelPaddingValue
        eight_path = Path(temporary) / "eight.dcm"
        eight.save_as(eight_path)
        subprocess.run(["dcmcjpeg", "+eb", "+q", "95", str(eight_path), str(HERE / "jpeg_baseline_8bit.dcm")], check=True)
    for path in sorted(HERE.glob("*.dcm")):
        print(path.name, pydicom.dcmread(path).file_meta.TransferSyntaxUID.name, path.stat().st_size)


if __name__ == "__main__":
    main()
