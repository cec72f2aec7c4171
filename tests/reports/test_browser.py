"""``bench ui`` in a real browser: a fresh headless Chromium lands on the runs table and stays.

Marked ``browser`` and skipped unless selected with ``-m browser`` (it starts an MLflow server
and a browser: a few minutes on a busy 2-core machine). Needs Debian's ``chromium`` and
``chromium-driver`` (``apt-get install -y chromium chromium-driver``) and Selenium (the ``dev``
extra). ``bench ui`` is started as a user starts it, binds to 127.0.0.1 and is stopped through
its own process id (its process group). ``BENCH_SCREENSHOTS`` names a folder for the screenshots
(runs table, run page, Compare), for a human look.

What is checked, with a browser profile that has never seen MLflow:

1. the plain experiment address (``#/experiments/<id>``, no parameters) opens the runs table in
   MLflow's *Model training* view with the columns method, dataset, seed and f1, the result
   runs only, and the metrics rounded;
2. a run's page stays in that view (its sidebar has the *Model registry*, not GenAI's pages);
3. *back* returns to the runs table with the same columns;
4. two runs selected, *Compare* opens the comparison in that view; *back* again gives the
   runs table with its columns;
5. the address ``bench ui`` prints for the experiment opens bench's saved view.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _mlflow_store import make_store

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1600,1000",
]
WAIT = 180  # seconds for a page of the single-page app on a loaded machine


@pytest.fixture(autouse=True)
def _only_when_selected(request):
    if "browser" not in (request.config.option.markexpr or ""):
        pytest.skip("drives headless Chromium: run with -m browser")
    if CHROMIUM is None or DRIVER is None:
        pytest.skip("chromium / chromedriver not installed (apt-get install chromium-driver)")
    pytest.importorskip("selenium")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def ui(tmp_path):
    """``bench ui`` on a store of the report fixture; yields (base URL, experiment id, printed
    lines) and stops the server by its process group id."""
    import signal

    pairs = [("alpha", "toy:1"), ("beta", "toy:1"), ("alpha", "toy:2"), ("gamma", "toy:2")]
    _, exp = make_store(tmp_path, pairs, seeds=(0, 1))
    port = _free_port()
    out = (tmp_path / "ui.out").open("w+")
    cmd = [sys.executable, "-m", "bench.cli", "ui", "--results", str(tmp_path)]
    proc = subprocess.Popen(
        cmd + ["--port", str(port)], stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        end = time.monotonic() + 400
        text = ""
        while "MLflow UI ready" not in text or "mean over seeds" not in text:
            assert proc.poll() is None, Path(out.name).read_text()
            assert time.monotonic() < end, f"bench ui did not get ready:\n{text}"
            time.sleep(1)
            text = Path(out.name).read_text()
        yield f"http://127.0.0.1:{port}", exp, text
    finally:
        try:
            os.killpg(proc.pid, signal.SIGINT)  # as Ctrl-C: bench ui stops its server
            proc.wait(timeout=60)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        out.close()


@pytest.fixture
def browser(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for flag in [*FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]:  # a fresh profile
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(DRIVER))
    driver.set_page_load_timeout(WAIT)
    try:
        yield driver
    finally:
        driver.quit()


def _shot(driver, name: str) -> None:
    folder = os.environ.get("BENCH_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(folder) / f"{name}.png"))


def _headers(driver) -> list[str]:
    from selenium.webdriver.common.by import By

    cells = driver.find_elements(By.CSS_SELECTOR, "[role=columnheader]")
    return [c.text.strip() for c in cells if c.text.strip()]


def _runs_table(driver, wait) -> list[str]:
    """Wait for the runs table with bench's columns; return the run names shown."""

    wait.until(lambda d: {"method", "dataset", "seed", "f1"} <= set(_headers(d)))
    wait.until(lambda d: _run_links(d))
    return [a.text for a in _run_links(driver)]


def _run_links(driver) -> list:
    from selenium.webdriver.common.by import By

    links = driver.find_elements(By.CSS_SELECTOR, "a[href*='/runs/']")
    return [a for a in links if " | seed " in a.text]


def _sidebar_is_model_training(driver) -> bool:
    from selenium.webdriver.common.by import By

    text = driver.find_element(By.TAG_NAME, "body").text
    return "Model registry" in text and "Judges" not in text and "Sessions" not in text


def test_bench_ui_lands_on_the_runs_table_and_stays_there(ui, browser):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    base, exp, printed = ui
    # the single-page app redraws the table while it loads: retry on a stale element
    wait = WebDriverWait(browser, WAIT, ignored_exceptions=(StaleElementReferenceException,))

    # 1. a fresh browser, the plain experiment address
    browser.get(f"{base}/#/experiments/{exp}")
    names = _runs_table(browser, wait)
    assert browser.execute_script("return localStorage.getItem('mlflow.workflowType_v1')") == (
        '"machine_learning"'
    )
    assert "/runs" in browser.current_url and "overview" not in browser.current_url
    assert all(" | seed " in n for n in names) and len(names) == 8  # result runs only
    assert _sidebar_is_model_training(browser)
    body = browser.find_element(By.TAG_NAME, "body").text
    assert not re.search(r"\d\.\d{5,}", body), "metrics are shown rounded"
    _shot(browser, "runs_table")

    # 2. a run's page
    first = _run_links(browser)[0]
    run_name = first.text
    first.click()
    wait.until(
        lambda d: "/runs/" in d.current_url and run_name in d.find_element(By.TAG_NAME, "body").text
    )
    wait.until(lambda d: "Parameters" in d.find_element(By.TAG_NAME, "body").text)
    assert _sidebar_is_model_training(browser)
    _shot(browser, "run_page")

    # 3. back
    browser.back()
    _runs_table(browser, wait)
    assert _sidebar_is_model_training(browser)

    # 4. select two runs, Compare, back
    def two_boxes(d):
        boxes = d.find_elements(By.CSS_SELECTOR, ".ag-row .ag-selection-checkbox")
        shown = [b for b in boxes if b.is_displayed()][:2]
        return shown if len(shown) == 2 else None

    for box in wait.until(two_boxes):
        ActionChains(browser).move_to_element(box).click().perform()
    compare = wait.until(
        lambda d: [
            b for b in d.find_elements(By.TAG_NAME, "button") if b.text.startswith("Compare")
        ]
    )
    compare[0].click()
    wait.until(lambda d: "compare-runs" in d.current_url)
    wait.until(lambda d: "method" in d.find_element(By.TAG_NAME, "body").text)
    assert _sidebar_is_model_training(browser)
    _shot(browser, "compare")
    browser.back()
    _runs_table(browser, wait)
    assert _sidebar_is_model_training(browser)

    # 5. the address bench ui printed: bench's saved view
    link = re.search(r"experiment 'bench': (\S+)", printed).group(1)
    assert "workflowType=machine_learning" in link and "viewStateShareKey=bench-runs" in link
    browser.get(link)
    _runs_table(browser, wait)
    wait.until(lambda d: "bench: compare methods" in d.find_element(By.TAG_NAME, "body").text)
