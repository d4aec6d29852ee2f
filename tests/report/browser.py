"""A headless Chromium for the report's tests (Debian's chromium and chromedriver, driven by
Selenium), or a pytest skip that says what is missing."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

# the flags the sandbox needs: no GPU, and no background connections to a closed network
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1400,1000")


@contextmanager
def chromium() -> Iterator:
    """A Selenium Chrome driver on Debian's chromium, logging the browser console."""
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install selenium)")
    from selenium.webdriver.chrome.service import Service

    browser, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if not browser or not driver_path:
        pytest.skip("Debian's chromium and chromium-driver are not installed (.ci/run installs them)")
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in FLAGS:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def wait_until_ready(driver, timeout_s: float = 20.0) -> None:
    """Wait for the page to draw its first case (it sets ``body[data-ready]``)."""
    deadline = time.monotonic() + timeout_s
    while driver.execute_script("return document.body.dataset.ready") != "1":
        if time.monotonic() > deadline:
            raise AssertionError(f"the page did not become ready in {timeout_s} s")
        time.sleep(0.05)
