"""report.html as people read it: the numbers match summary.json, and it renders in a browser.

Two kinds of check on reports written by ``simulate(..., out=DIR)``:

- the summary table (and each run's headline) parsed from the HTML against summary.json: the
  exact text the report prints (``fmt`` with the row's unit, as ``emrsim run`` prints it) and,
  independently of ``fmt``, the number read back from that text within its printed precision;
- the page rendered in headless Chromium through Selenium and chromedriver: title and headings,
  every image decoded (``complete`` and ``naturalWidth > 0``), nothing wider than the window, no
  console error, and a screenshot that is a non-blank PNG.

The browser tests need the Debian packages ``chromium`` and ``chromium-driver`` (at
/usr/bin/chromium and /usr/bin/chromedriver) and the ``selenium`` package from the ``test`` extra.
Without them they are skipped, except under CI (the environment variable ``CI`` set, as
.ci/run and hosted CI set it), where a missing browser fails them: CI must install it.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import struct
from collections import Counter
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from matplotlib import image as mpimg

import emrsim
from emrsim import load_scenario
from emrsim.report.html import MAX_RUNS_EMBEDDED, SUMMARY_ROWS, fmt

ROOT = Path(__file__).resolve().parents[1]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
DATA_URI_PREFIX = "data:image/png;base64,"
WINDOW = (1280, 1600)  # the browser window; the page is narrower (max-width 60em)

# (scenario file, replications): one run, replications of a small cluster, and replications of
# a spot core group with HDFS (its runs carry the HDFS plot as well).
SCENARIOS = {
    "quickstart-r1": ("quickstart.yaml", 1),
    "quickstart-r3": ("quickstart.yaml", 3),
    "core-node-loss-r2": ("core-node-loss.yaml", 2),
}
# Simulating takes 2.5 s for one quickstart run, 6-7 s for the others.
SLOW_SCENARIOS = {"quickstart-r3", "core-node-loss-r2"}


@dataclass(frozen=True)
class Report:
    out: Path
    html: str
    summary: dict[str, Any]

    @property
    def several(self) -> bool:
        return len(self.summary["runs"]) > 1

    def pngs(self) -> list[Path]:
        """The PNG files on disk that report.html should embed."""
        if not self.several:
            return sorted(self.out.glob("*.png"))
        runs = len(self.summary["runs"])
        paths = sorted(self.out.glob("replications_*.png"))
        for i in range(min(runs, MAX_RUNS_EMBEDDED)):
            paths += sorted((self.out / f"run-{i}").glob("*.png"))
        return paths


def _scenario_params(names: list[str]) -> list[Any]:
    return [
        pytest.param(name, id=name, marks=(pytest.mark.slow,) if name in SLOW_SCENARIOS else ())
        for name in names
    ]


@pytest.fixture(scope="module")
def report(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Report:
    file, replications = SCENARIOS[request.param]
    out = tmp_path_factory.mktemp(request.param)
    document, _ = emrsim.simulate(
        load_scenario(ROOT / "scenarios" / file), replications=replications, out=out
    )
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    # What simulate returns is what it wrote.
    assert summary == json.loads(json.dumps(document))
    assert len(summary["runs"]) == replications
    return Report(out, (out / "report.html").read_text(encoding="utf-8"), summary)


# --- The HTML, parsed -------------------------------------------------------------------------


class _Outline(HTMLParser):
    """The document's h1/h2 headings, tables (rows of cell texts), <summary> texts and images."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.blocks: list[tuple[str, Any]] = []  # ("h1" | "h2" | "summary", text), ("table", rows)
        self.images: list[str] = []
        self._text: list[str] | None = None
        self._rows: list[list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("title", "h1", "h2", "summary", "th", "td"):
            self._text = []
        elif tag == "table":
            self._rows = []
        elif tag == "tr" and self._rows is not None:
            self._rows.append([])
        elif tag == "img":
            self.images.append(dict(attrs).get("src") or "")

    def handle_endtag(self, tag: str) -> None:
        text = "".join(self._text or [])
        if tag == "title":
            self.title = text
        elif tag in ("h1", "h2", "summary"):
            self.blocks.append((tag, text))
        elif tag in ("th", "td") and self._rows:
            self._rows[-1].append(text)
        elif tag == "table" and self._rows is not None:
            self.blocks.append(("table", self._rows))
            self._rows = None
        if tag in ("title", "h1", "h2", "summary", "th", "td"):
            self._text = None

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)


def _outline(html: str) -> _Outline:
    parser = _Outline()
    parser.feed(html)
    parser.close()
    return parser


def _summary_table(outline: _Outline) -> list[list[str]]:
    """The rows (header first) of the table that follows the "Summary" heading."""
    for i, block in enumerate(outline.blocks):
        if block == ("h2", "Summary"):
            kind, rows = outline.blocks[i + 1]
            assert kind == "table"
            return rows
    raise AssertionError("no Summary heading in report.html")


def _expected_headings(summary: dict[str, Any]) -> list[str]:
    warnings = ["Warnings"] if summary.get("warnings") else []
    if len(summary["runs"]) == 1:
        return [*warnings, "Summary", "Steps", "Plots"]
    return [*warnings, "Summary", "Across replications", "Runs"]


def _read_back(cell: str, unit: str) -> float:
    """The number a cell prints, read without ``fmt``: the unit must be there, USD to 4 places."""
    assert cell.endswith(unit), (cell, unit)
    number = cell.removesuffix(unit) if unit else cell
    pattern = r"-?\d{1,3}(,\d{3})*\.\d{4}" if unit == " USD" else r"-?\d{1,3}(,\d{3})*(\.\d)?"
    assert re.fullmatch(pattern, number), f"{cell!r} is not a number as the report prints it"
    return float(number.replace(",", ""))


def _close(cell: str, value: float, unit: str) -> None:
    """``cell`` prints ``value`` rounded to the places it shows."""
    shown = _read_back(cell, unit)
    places = len(cell.removesuffix(unit).partition(".")[2])
    assert abs(shown - value) <= 0.5 * 10**-places + 1e-9 * max(1.0, abs(value)), (cell, value)


# --- Numbers: report.html against summary.json ------------------------------------------------


def _check_summary_table(report: Report) -> None:
    summary = report.summary
    aggregate = summary["aggregate"]
    outline = _outline(report.html)
    header, *rows = _summary_table(outline)
    several = report.several
    columns = ["mean", "95% interval", "p50", "p95"] if several else ["value"]
    assert header == ["metric", *columns]

    expected_rows = [row for row in SUMMARY_ROWS if row[0] in aggregate]
    # Every headline the scenarios produce is there (none silently missing from aggregate).
    assert {field for field, _, _ in expected_rows} == {field for field, _, _ in SUMMARY_ROWS}
    assert [row[0] for row in rows] == [label for _, label, _ in expected_rows]

    for (field, label, unit), cells in zip(expected_rows, rows, strict=True):
        stats = aggregate[field]
        if not several:
            # One run: the value is the run's own number (and the aggregate's mean).
            value = summary["runs"][0]
            for key in field.split("."):
                value = value[key]
            assert stats["mean"] == pytest.approx(value)
            assert cells == [label, fmt(value, unit)]
            _close(cells[1], value, unit)
            continue
        low, high = stats["ci95"]
        assert len(cells) == 5, cells
        # The text, as the report (and `emrsim run`) formats it...
        assert cells[1:] == [
            fmt(stats["mean"], unit),
            f"[{fmt(low, unit)}, {fmt(high, unit)}]",
            fmt(stats["p50"], unit),
            fmt(stats["p95"], unit),
        ], label
        # ...and the numbers read back from it, to the precision printed.
        _close(cells[1], stats["mean"], unit)
        interval = re.fullmatch(r"\[(.+), (.+)\]", cells[2])
        assert interval, cells[2]
        _close(interval[1], low, unit)
        _close(interval[2], high, unit)
        _close(cells[3], stats["p50"], unit)
        _close(cells[4], stats["p95"], unit)


def _check_headings_and_runs(report: Report) -> None:
    summary = report.summary
    outline = _outline(report.html)
    assert outline.title == f"emrsim report: {summary['scenario']}"
    assert [text for kind, text in outline.blocks if kind == "h1"] == [summary["scenario"]]
    assert [text for kind, text in outline.blocks if kind == "h2"] == _expected_headings(summary)
    runs = summary["runs"]
    summaries = [text for kind, text in outline.blocks if kind == "summary"]
    expected = [
        f"run-{i}: makespan {fmt(run['makespan_s'], ' s')}, "
        f"total cost {fmt(run['cost_usd']['total'], ' USD')}"
        for i, run in enumerate(runs[:MAX_RUNS_EMBEDDED])
    ]
    assert summaries == [*(expected if report.several else []), "Resolved configuration"]
    for text, run in zip(summaries[:-1], runs, strict=False):
        headline = re.fullmatch(r"run-\d+: makespan (.+), total cost (.+)", text)
        assert headline, text
        _close(headline[1], run["makespan_s"], " s")
        _close(headline[2], run["cost_usd"]["total"], " USD")
    # Every image is a PNG data URI that decodes, one per PNG file written next to the report.
    assert len(outline.images) == len(report.pngs()) > 0
    for src in outline.images:
        assert src.startswith(DATA_URI_PREFIX), src[:60]
        _png_size(base64.b64decode(src.removeprefix(DATA_URI_PREFIX), validate=True))
    # Each run's steps table (one per run; the first table is the summary).
    tables = [rows for kind, rows in outline.blocks if kind == "table"][1:]
    assert len(tables) == min(len(runs), MAX_RUNS_EMBEDDED)
    for run, (header, *rows) in zip(runs[:MAX_RUNS_EMBEDDED], tables, strict=True):
        assert header == ["step", "state", "start", "end"]
        assert rows == [
            [step["name"], step["state"], fmt(step["start_s"], " s"), fmt(step["end_s"], " s")]
            for step in run["steps"]
        ]


# One test for both (each xdist worker that gets a test simulates its scenario again).
@pytest.mark.parametrize("report", _scenario_params(list(SCENARIOS)), indirect=True)
def test_report_matches_summary_json(report: Report) -> None:
    _check_summary_table(report)
    _check_headings_and_runs(report)


# --- The page in a browser --------------------------------------------------------------------


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _start_chromium() -> Any:
    """A headless Chromium driven through chromedriver (Selenium Manager is never used)."""
    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    missing = [
        name
        for name, found in (("chromium", chromium), ("chromedriver", chromedriver))
        if not found
    ]
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        missing.append("selenium (pip install '.[test]')")
    if missing:
        reason = (
            f"headless Chromium test needs {', '.join(missing)}: "
            "apt-get install chromium chromium-driver"
        )
        if _ci():
            pytest.fail(f"{reason} (CI is set: CI must install them)", pytrace=False)
        pytest.skip(reason)
    options = Options()
    options.binary_location = chromium
    for arg in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=options, service=Service(executable_path=chromedriver))


@pytest.fixture(scope="module")
def browser() -> Any:
    driver = _start_chromium()
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE and data[12:16] == b"IHDR", data[:16]
    width, height = struct.unpack(">II", data[16:24])
    return width, height


ALL_IMAGES = """
return Array.from(document.images).map(img => ({
    src: img.getAttribute('src'), complete: img.complete,
    naturalWidth: img.naturalWidth, naturalHeight: img.naturalHeight,
    width: img.getBoundingClientRect().width, height: img.getBoundingClientRect().height}));
"""
SUMMARY_TABLE_TEXT = """
const table = document.querySelector('h2 + table');
return Array.from(table.rows).map(row => Array.from(row.cells).map(cell => cell.innerText));
"""


@pytest.mark.slow
@pytest.mark.parametrize("report", _scenario_params(list(SCENARIOS)), indirect=True)
def test_report_renders_in_chromium(browser: Any, report: Report, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    summary = report.summary
    browser.get((report.out / "report.html").as_uri())
    assert browser.execute_script("return document.readyState") == "complete"
    assert browser.title == f"emrsim report: {summary['scenario']}"
    assert [h.text for h in browser.find_elements(By.TAG_NAME, "h1")] == [summary["scenario"]]
    assert [h.text for h in browser.find_elements(By.TAG_NAME, "h2")] == _expected_headings(summary)
    # The browser reads the same summary table as html.parser does.
    assert browser.execute_script(SUMMARY_TABLE_TEXT) == _summary_table(_outline(report.html))
    screenshot = tmp_path / "report.png"
    assert browser.save_screenshot(str(screenshot))
    viewport_size = browser.execute_script("return [window.innerWidth, window.innerHeight]")

    # Open every run (and the configuration), then every image must have decoded.
    browser.execute_script("document.querySelectorAll('details').forEach(d => d.open = true)")
    WebDriverWait(browser, 30).until(
        lambda d: d.execute_script("return Array.from(document.images).every(i => i.complete)")
    )
    images = browser.execute_script(ALL_IMAGES)
    on_disk = report.pngs()
    assert len(images) == len(on_disk) > 0
    viewport = browser.execute_script("return document.documentElement.clientWidth")
    embedded: Counter[bytes] = Counter()
    for image in images:
        src = image["src"]
        assert src.startswith(DATA_URI_PREFIX), src[:60]
        data = base64.b64decode(src.removeprefix(DATA_URI_PREFIX), validate=True)
        embedded[data] += 1
        assert image["complete"], src[:60]
        assert image["naturalWidth"] > 0 and image["naturalHeight"] > 0, "a broken image"
        assert (image["naturalWidth"], image["naturalHeight"]) == _png_size(data)
        assert 0 < image["width"] <= viewport and image["height"] > 0, image
    # Each embedded image is one of the PNG files written next to the report, byte for byte.
    assert embedded == Counter(path.read_bytes() for path in on_disk)
    # Nothing overflows sideways; the page logged no error.
    assert browser.execute_script(
        "return document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []

    # The screenshot: the page as it opens (heading, summary table, the first plot), not blank.
    assert _png_size(screenshot.read_bytes()) == tuple(viewport_size)
    pixels = np.asarray(mpimg.imread(screenshot))
    assert pixels.std() > 0.05, "the screenshot is blank"
