import numpy as np
import pydicom

from ichseg.io.dicom_seg import labels_on_source_slice


def test_labels_land_on_the_source_pixels(ge_volume):
    # label the bone of the tilt-corrected volume; sampled back onto each original slice it
    # must cover that slice's own bone pixels (geometry through tilt removal and gap resampling)
    labels = ge_volume.with_array((ge_volume.array > 400).astype(np.uint8))
    files = ge_volume.metadata["files"]
    agreements = []
    for file in files[::5]:
        dataset = pydicom.dcmread(file)
        hu = dataset.pixel_array * float(dataset.RescaleSlope) + float(dataset.RescaleIntercept)
        bone = hu > 400
        sampled = labels_on_source_slice(labels, dataset).astype(bool)
        agreements.append(2 * (sampled & bone).sum() / (sampled.sum() + bone.sum()))
    assert min(agreements) > 0.8, agreements


def test_segments_are_the_classes_found_and_empty_frames_are_not_written(ge_volume, tmp_path, recwarn):
    from ichseg.io.dicom_seg import write_dicom_seg

    files = ge_volume.metadata["files"]
    labels = ge_volume.with_array(np.zeros(ge_volume.shape, np.uint8))
    normal = write_dicom_seg(labels, files, tmp_path / "normal.dcm")
    labels.array[200:260, 250:300, 15:18] = 4  # SDH
    labels.array[300:320, 300:320, 20] = 2  # IVH
    found = write_dicom_seg(labels, files, tmp_path / "found.dcm")
    empty, seg = pydicom.dcmread(normal), pydicom.dcmread(found)
    assert len(empty.SegmentSequence) == 1 and int(empty.NumberOfFrames) <= 1
    assert [s.SegmentLabel for s in seg.SegmentSequence] == ["IVH", "SDH"]
    assert [int(s.SegmentNumber) for s in seg.SegmentSequence] == [1, 2]
    # each type its own SNOMED CT code, a description and the preview's colour
    codes = [s.SegmentedPropertyTypeCodeSequence[0] for s in seg.SegmentSequence]
    assert [(c.CodeValue, c.CodingSchemeDesignator) for c in codes] == [("274110009", "SCT"), ("35486000", "SCT")]
    assert [s.SegmentDescription for s in seg.SegmentSequence] == ["intraventricular hemorrhage", "subdural hematoma"]
    import highdicom as hd

    from ichseg.labels import CLASS_COLOURS
    shown = hd.color.CIELabColor.from_dicom_value(seg.SegmentSequence[0].RecommendedDisplayCIELabValue).to_rgb()
    expected = tuple(int(CLASS_COLOURS[2][i:i + 2], 16) for i in (1, 3, 5))
    assert max(abs(a - b) for a, b in zip(shown, expected)) <= 1
    assert int(seg.NumberOfFrames) < 2 * len(files)  # only frames that hold a labelled pixel
    assert normal.stat().st_size < 1_000_000
    assert not [w for w in recwarn if "person name" in str(w.message)]


def test_every_class_has_a_segment_description():
    from ichseg.io.dicom_seg import PROPERTY_TYPES, _segment
    from ichseg.labels import LABELS

    for value in range(1, len(LABELS)):
        segment = _segment(value, value)
        assert segment.SegmentLabel == LABELS[value] and segment.SegmentDescription
    bleeds = [PROPERTY_TYPES[value].value for value in (1, 2, 3, 4)]
    assert len(set(bleeds)) == 4  # IPH, IVH, SAH, SDH told apart by code
