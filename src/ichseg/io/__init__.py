"""Reading and writing head CT: scanner DICOM, NIfTI, 2D slice stacks, NumPy.

Everything enters ichseg as a :class:`Volume` (HU array + RAS affine + metadata +
warnings) through :func:`read_volume`; segmentations leave through :func:`write_nifti`
on the same grid and affine as their image.
"""

from .errors import InputError
from .nifti import read_nifti, write_nifti
from .reader import read_volume
from .volume import Volume

__all__ = ["InputError", "Volume", "read_nifti", "read_volume", "write_nifti"]
