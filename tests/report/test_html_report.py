import base64
import csv
import io
import json

import numpy as np
from browser import chromium, wait_until_ready
from PIL import Image

from ichseg.infer.output_folder import SUMMARY_COLUMNS
from ichseg.io import Volume
from ichseg.labels import CLASS_COLOURS
from ichseg.report import viewer_data, write_report
from ichseg.report.html_report import report_data
from ichseg.report.viewer_slices import MAX_SLICES, code_to_hu_table, hu_to_code


def _head(shape=(150, 170, 12), spacing=(1.2, 1.2, 5.0)):
    x, y, _ = np.meshgrid(*[np.arange(n) for n in shape], indexing="ij")
    r = ((x - shape[0] / 2) / (shape[0] * 0.42)) ** 2 + ((y - shape[1] / 2) / (shape[1] * 0.42)) ** 2
    hu = np.where(r < 1, 35.0, -1000.0)
    hu[(r >= 0.85) & (r < 1)] = 1200.0  # skull
    hu[:, :8] = 300.0  # a table below the head, apart from it
    return Volume(hu.astype(np.float32), np.diag([*spacing, 1.0]))


def _output(tmp_path, cases):
    """An output folder as predict writes it: a summary row and a viewer.json per case."""
    rows = []
    for name, (scan, labels, any_ml) in cases.items():
        volumes = {"IPH": {"volume_ml": any_ml}, "warnings": ["gantry tilt 12 degrees"] if any_ml else []}
        (tmp_path / name).mkdir(parents=True)
        (tmp_path / name / "viewer.json").write_text(json.dumps(viewer_data(scan, labels, volumes=volumes)))
        rows.append({"case": name, "status": "ok", "any_hemorrhage_ml": any_ml, "IPH_ml": any_ml,
                     "warnings": " | ".join(volumes["warnings"]), "seconds": 1.0})
    rows.append({"case": "broken", "status": "error", "error": "broken.nii.gz: not a NIfTI file"})
    with open(tmp_path / "summary.csv", "w", newline="") as stream:
        writer = csv.DictWriter(stream, SUMMARY_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return write_report(tmp_path)


def _blood_case():
    scan = _head()
    labels = scan.with_array(np.zeros(scan.shape, np.uint8))
    labels.array[50:90, 60:100, 5:8] = 1
    scan.array[labels.array == 1] = 70.0
    return scan, labels


def test_codes_keep_one_hu_where_blood_and_brain_are_and_cover_air_to_bone():
    hu = np.arange(-30.0, 189.5, 0.25)
    assert np.abs(code_to_hu_table()[hu_to_code(hu)] - hu).max() <= 0.5
    table = code_to_hu_table()
    assert table[0] <= -1000 and table[-1] >= 2000 and np.all(np.diff(table) > 0)


def test_viewer_data_crops_to_the_head_and_keeps_every_label(tmp_path):
    scan, labels = _blood_case()
    data = viewer_data(scan, labels)
    classes = np.asarray(Image.open(io.BytesIO(base64.b64decode(data["labels"].split(",")[1]))))
    assert data["n_slices"] == 12 and max(data["width"], data["height"]) == 144
    assert data["height"] < 144 * 170 / 150  # the table was cut off (its rows are outside the head's box)
    assert [bool(c[0]) for c in data["label_counts"]] == [k in (5, 6, 7) for k in range(12)]
    assert set(np.unique(classes)) == {0, 1}


def test_thin_scans_show_every_nth_slice():
    scan = _head((60, 60, 200), (3.0, 3.0, 0.6))
    data = viewer_data(scan, scan.with_array(np.zeros(scan.shape, np.uint8)))
    assert data["n_slices"] <= MAX_SLICES and data["slice_stride"] == 4 and data["total_slices"] == 200


def test_report_data_keeps_failed_and_damaged_cases_as_rows(tmp_path):
    _output(tmp_path, {"c1": _blood_case() + (4.0,)})
    (tmp_path / "c2").mkdir()
    (tmp_path / "c2" / "viewer.json").write_text("{not json")
    with open(tmp_path / "summary.csv", "a", newline="") as stream:
        stream.write("c2,ok,,0,,,,,,,,,,,\n")
    data = report_data(tmp_path)
    assert [r["case"] for r in data["rows"]] == ["broken", "c1", "c2"]
    assert set(data["cases"]) == {"c1"}


def test_the_page_embeds_no_closing_script_inside_its_data(tmp_path):
    page = _output(tmp_path, {"c</script>x": _blood_case() + (4.0,)}).read_text()
    assert page.count("</script>") == 2  # the data block's own and the code's own


def _colour_pixels(png: bytes, colour: str, tolerance: int = 40) -> int:
    picture = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    rgb = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])
    return int((np.abs(picture - rgb).sum(axis=2) < tolerance).sum())


def test_in_chromium_the_viewer_loads_changes_slice_and_shows_the_overlay(tmp_path):
    empty = _head()
    page = _output(tmp_path, {"bleed": _blood_case() + (12.5,),
                              "normal": (empty, empty.with_array(np.zeros(empty.shape, np.uint8)), 0.0)})
    with chromium() as driver:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.common.keys import Keys

        driver.get(page.as_uri())
        wait_until_ready(driver)
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert not errors, errors
        assert driver.find_element(By.ID, "case-title").text == "bleed"
        # it opens on the slice with the most blood, and the overlay is drawn in the IPH colour
        assert driver.find_element(By.ID, "slice-label").text == "image 6 of 12"
        with_overlay = driver.get_screenshot_as_png()
        assert _colour_pixels(with_overlay, CLASS_COLOURS[1]) > 200
        picture = np.asarray(Image.open(io.BytesIO(with_overlay)).convert("L"))
        assert picture.std() > 20, "the screenshot is blank"
        # the slider changes the slice: label and pixels
        slider = driver.find_element(By.ID, "slice-slider")
        canvas = driver.find_element(By.ID, "slice-canvas")
        before = canvas.screenshot_as_png
        slider.send_keys(Keys.END)
        assert driver.find_element(By.ID, "slice-label").text == "image 12 of 12"
        assert canvas.screenshot_as_png != before and _colour_pixels(canvas.screenshot_as_png, CLASS_COLOURS[1]) == 0
        # the legend goes back to the blood; the overlay switch hides it
        driver.find_element(By.CSS_SELECTOR, "#legend li").click()
        assert driver.find_element(By.ID, "slice-label").text == "image 6 of 12"
        driver.find_element(By.ID, "overlay-toggle").click()
        assert _colour_pixels(canvas.screenshot_as_png, CLASS_COLOURS[1]) == 0
        # a window preset changes the picture (bone window: the brain turns dark)
        brain = np.asarray(Image.open(io.BytesIO(canvas.screenshot_as_png)).convert("L")).mean()
        driver.find_element(By.XPATH, "//button[starts-with(., 'bone')]").click()
        assert np.asarray(Image.open(io.BytesIO(canvas.screenshot_as_png)).convert("L")).mean() < brain - 10
        # the table sorts by a column and a row opens its case
        driver.find_element(By.XPATH, "//th[.='any']").click()
        order = [tr.get_attribute("data-case") for tr in driver.find_elements(By.CSS_SELECTOR, "tbody tr")]
        assert order == ["broken", "normal", "bleed"]
        driver.find_element(By.CSS_SELECTOR, "tr[data-case='normal']").click()
        assert driver.find_element(By.ID, "legend").text == "no hemorrhage found"
        driver.find_element(By.CSS_SELECTOR, "tr[data-case='broken']").click()
        assert "not a NIfTI file" in driver.find_element(By.ID, "case-error").text
        assert not [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def test_an_empty_run_gives_a_page_that_says_so(tmp_path):
    (tmp_path / "summary.csv").write_text(",".join(SUMMARY_COLUMNS) + "\n")
    with chromium() as driver:
        driver.get(write_report(tmp_path).as_uri())
        wait_until_ready(driver)
        assert driver.find_element("id", "summary-line").text.startswith("0 case(s)")
