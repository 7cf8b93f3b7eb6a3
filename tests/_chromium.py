"Headless Debian Chromium for the browser tests (tests/test_docs_browser.py, tests/test_jupyterlab.py)."
import shutil

import pytest

INSTALL = "apt-get update && apt-get install -y chromium chromium-driver   (as root; README, Set up)"


def chromium():
    "A headless Chromium driven by selenium through Debian's chromedriver; fails with the install command when either is missing."
    try: from selenium import webdriver
    except ImportError: pytest.fail('selenium is missing: pip install -e ".[dev]"')
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not (browser and driver): pytest.fail(f"Chromium or its driver is missing (chromium: {browser}, chromedriver: {driver}): {INSTALL}")
    opts = webdriver.ChromeOptions()
    opts.binary_location = browser
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1400,1000"):
        opts.add_argument(a)                                      # --no-sandbox: CI runs as root, where the sandbox cannot start
    return webdriver.Chrome(options=opts, service=webdriver.ChromeService(driver))
