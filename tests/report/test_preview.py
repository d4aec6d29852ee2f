import numpy as np
from PIL import Image

from ichseg.io import Volume
from ichseg.preprocess import to_ras
from ichseg.report.preview import CLASS_COLOURS, input_image_number, render_preview


def _rgb(colour):
    return np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])


def _head(shape=(160, 180, 24)):
    x, y, _z = np.meshgrid(*[np.arange(n) for n in shape], indexing="ij")
    inside = ((x - 80) / 70) ** 2 + ((y - 90) / 80) ** 2 < 1
    return Volume(np.where(inside, 35.0, -1000.0).astype(np.float32), np.diag([1.0, 1.0, 5.0, 1.0]))


def test_every_class_found_is_drawn_and_the_blood_under_the_colour_stays_visible(tmp_path):
    scan = _head()
    labels = scan.with_array(np.zeros(scan.shape, np.uint8))
    labels.array[50:90, 60:100, 8:14] = 1  # a large IPH on slices 9-14
    labels.array[100:104, 40:44, 20] = 5  # a tiny EDH on slice 21 only: it must still get a panel
    volumes = {"IPH": {"volume_ml": 48.0}, "EDH": {"volume_ml": 0.08}, "warnings": ["gantry tilt 12 degrees"]}
    picture = np.asarray(Image.open(render_preview(scan, labels, tmp_path / "p.png", volumes=volumes, title="t")))
    assert picture.shape[1] >= 640 and picture.shape[0] >= 300
    for value in (1, 5):
        distance = np.abs(picture.astype(int) - _rgb(CLASS_COLOURS[value])).sum(axis=2)
        assert (distance < 30).sum() > 20, f"class {value} is not drawn in its colour"
    # translucent fill: inside the IPH the grey of the scan still shows through (not the pure colour)
    fill = np.abs(picture.astype(int) - _rgb(CLASS_COLOURS[1])).sum(axis=2)
    assert ((fill > 60) & (picture[..., 0] > picture[..., 2] + 20)).sum() > 200


def test_image_numbers_are_the_inputs_own_slices_also_after_resampled_gaps():
    scan = Volume(np.zeros((4, 4, 10), np.float32), np.diag([1.0, 1.0, 2.0, 1.0]),
                  {"source_gaps_mm": "[2.0, 2.0, 6.0, 6.0]", "resampled_along_normal": "True"})
    ras = to_ras(scan)
    # grid slice 4 lies 8 mm from the first source slice: the source slices lie at 0, 2, 4, 10 and 16 mm
    assert input_image_number(scan, ras, 4) == (4, 5)
    assert input_image_number(scan, ras, 0) == (1, 5)
    flipped = Volume(np.zeros((4, 4, 6), np.float32), np.diag([1.0, 1.0, -5.0, 1.0]))
    assert input_image_number(flipped, to_ras(flipped), 0) == (6, 6)  # runs head to feet: RAS slice 0 is the last
