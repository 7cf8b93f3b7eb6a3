"""What a reader sees in the committed reports (issue 30), checked on the files and in JupyterLab itself.

`reports/summary.ipynb` is read in a few minutes: at most about 8 screens of JupyterLab at 1440×900 (a screen is
Lab's notebook viewport there, `SCREEN` = 779 pixels high, the left sidebar collapsed, the notebook 1,362 pixels
wide). Measured in Lab by `test_summary_in_jupyterlab` (headless Chromium, slow); estimated without a browser by
`estimated_height`, whose rule is:

- a code cell: 18 px per source line + 40; a raw cell: 18 px per line + 20; every cell 12 px of margin;
- a Markdown cell: 56 px per heading, 26 px per 165 characters of each paragraph (+ 10 between paragraphs);
- stream and plain-text output: 17 px per line of 170 characters; an HTML table: 30 px per row (`<tr`) + 16;
- Markdown output: 40 px per table row (a row of intervals wraps to two lines), 22 px per 170 characters of text;
- an image: its PNG height, scaled down to the 1,260 pixels an output gets in Lab.

On the old summary (before issue 30) the rule gives 16,839 px where Lab measured 19,504 (25 screens), on the new
one 5,688 px where Lab measures 6,113 (7.85 screens): it runs 7–14% under Lab, and its budget allows for 7%.

Its figures are legible at Lab's width (PNG metadata: 100 dpi, at most `MAX_WIDTH` pixels wide, so Lab shows them
unscaled; no text under 9 points), and a committed run notebook shows no stderr box (no tqdm bars, no IProgress
warning)."""
import base64, json, math, os, shutil, socket, struct, subprocess, sys, time, urllib.request, secrets
from pathlib import Path

import pytest

from conftest import ROOT

SUMMARY = ROOT / "reports" / "summary.ipynb"
RUNS = ROOT / "reports" / "runs"
SCREEN, SCREENS = 779, 8           # Lab's notebook viewport at 1440×900 (px); the screens a reader is asked to read
MAX_WIDTH, MAX_HEIGHT, DPI = 1100, 650, 100


def _text(x) -> str: return "".join(x) if isinstance(x, list) else (x or "")


def png_info(data: bytes) -> dict:
    "Width, height and dots per inch (from the pHYs chunk; None without one) of a PNG."
    w, h = struct.unpack(">II", data[16:24])
    i, dpi = 8, None
    while i < len(data):
        n, kind = struct.unpack(">I4s", data[i:i + 8])
        if kind == b"pHYs":
            x, _, unit = struct.unpack(">IIB", data[i + 8:i + 17])
            dpi = round(x * 0.0254) if unit == 1 else None
        if kind in (b"IDAT", b"IEND"): break
        i += 12 + n
    return {"width": w, "height": h, "dpi": dpi}


def _outputs(nb):
    return [(c, o) for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]


def _lines(s: str, width: int) -> int: return sum(max(1, math.ceil(len(l) / width)) for l in s.splitlines())


def _markdown_output(m: str) -> float:
    return sum(0 if l.startswith("|---") else 40 if l.startswith("|") else 22 * _lines(l, 170) if l.strip() else 6
               for l in m.splitlines())


def _output_height(o: dict, width: int) -> float:
    d = o.get("data", {})
    if o["output_type"] == "stream": return 17 * _lines(_text(o["text"]), 170)
    if "image/png" in d:
        p = png_info(base64.b64decode(_text(d["image/png"])))
        return p["height"] * min(1, width / p["width"]) + 10
    if "text/html" in d: return 30 * _text(d["text/html"]).count("<tr") + 16
    if "text/markdown" in d: return _markdown_output(_text(d["text/markdown"]))
    return 17 * _lines(_text(d.get("text/plain", "")), 170)


def _cell_height(c: dict, width: int) -> float:
    src = _text(c["source"])
    if c["cell_type"] == "markdown":
        return 12 + sum(56 if p.startswith("#") else 26 * _lines(p, 165) + 10 for p in src.split("\n\n") if p.strip())
    if c["cell_type"] == "raw": return 12 + 18 * len(src.splitlines()) + 20
    return 12 + 18 * len(src.splitlines()) + 40 + sum(_output_height(o, width) for o in c.get("outputs", []))


def estimated_height(nb: dict, width: int = 1260) -> float:
    "Pixels the notebook takes in JupyterLab at 1440×900, sidebar collapsed, by the rule in this module's docstring."
    return sum(_cell_height(c, width) for c in nb["cells"])


@pytest.fixture(scope="module")
def summary():
    return json.loads(SUMMARY.read_text(encoding="utf-8"))


def test_the_estimate_tells_the_old_summary_from_the_new():
    old = {"cells": [{"cell_type": "code", "source": "print(runs)", "outputs": [
        {"output_type": "stream", "name": "stdout", "text": "run\n" * 37}]}] * 20}   # 20 cells of 37-line listings
    assert estimated_height(old) > SCREENS * SCREEN
    one = {"cell_type": "code", "source": "x", "outputs": [{"output_type": "display_data", "data": {
        "text/markdown": "| a | b |\n|---|---|\n| 1 | 2 |\n| 3 | 4 |", "text/plain": ""}}]}
    assert estimated_height({"cells": [one]}) == 12 + 18 + 40 + 3 * 40      # header and 2 rows; no line for |---|


def test_summary_is_about_8_screens(summary):
    h = estimated_height(summary)
    assert h <= 0.93 * SCREENS * SCREEN, (f"reports/summary.ipynb is about {h:,.0f} px by the estimate (it runs 7–14% "
                                          f"under Lab): over {SCREENS} screens of {SCREEN} px")


def test_summary_outputs_are_summaries(summary):
    "No long listing, no long table, no stderr box, no error: the run list and the per-run tables live in results.csv."
    for c, o in _outputs(summary):
        assert o["output_type"] != "error", _text(o.get("evalue"))
        assert o.get("name") != "stderr", f"a stderr box in the summary: {_text(o.get('text'))[:200]}"
        if o["output_type"] == "stream": assert _text(o["text"]).count("\n") <= 3, _text(o["text"])[:300]
        html = _text(o.get("data", {}).get("text/html"))
        assert html.count("<tr") <= 15, f"a table of {html.count('<tr')} rows: {html[:200]}"


def test_summary_shows_the_headline_first(summary):
    "The first output after loading is the headline table and its findings; the first figure is the headline's."
    shown = [o for _, o in _outputs(summary) if o["output_type"] == "display_data"]
    first = _text(shown[0]["data"].get("text/markdown"))
    assert first.startswith("| variant | Rotten Tomatoes Δ acc | Rotten Tomatoes Δ ECE | SST-2 Δ acc |"), first[:200]
    assert "image/png" in shown[1]["data"]
    cells = [_text(c["source"]) for c in summary["cells"]]
    assert next(i for i, s in enumerate(cells) if "fig_headline.png" in s) < next(
        i for i, s in enumerate(cells) if "fig_points.png" in s)


def test_summary_words_findings_as_the_statistics_allow(summary):
    "An unadjusted interval from 5 seeds 'excludes'; Holm's family is named; one short list per dataset; which F1."
    md = "".join(_text(o.get("data", {}).get("text/markdown")) for _, o in _outputs(summary))
    assert "ruled out" not in md and "rules out" not in md
    assert "excludes 0" in md and "Holm's correction over the 8 variants of this dataset" in md
    bullets = [l for l in md.splitlines() if l.startswith("- **")]
    assert [b.split("**")[1] for b in bullets] == ["Rotten Tomatoes", "SST-2", "MRPC"], bullets
    assert len([l for l in md.splitlines() if l.startswith("  - ")]) <= 3 * 3     # at most 3 lines per dataset
    assert "Left out, with fewer than 2 seed pairs" in md and "layer·mixup·Beta(16)·max" in md
    text = "".join(_text(c["source"]) for c in summary["cells"] if c["cell_type"] == "markdown")
    assert "F1: of the positive class, label 1" in text


def test_summary_figures_fit_labs_width(summary):
    "Every figure shown is at most MAX_WIDTH × MAX_HEIGHT pixels (shown unscaled at 100 dpi, the sidebar collapsed)."
    images = [png_info(base64.b64decode(_text(o["data"]["image/png"]))) for _, o in _outputs(summary)
              if "image/png" in o.get("data", {})]
    assert len(images) == 4, images
    for p in images: assert p["width"] <= MAX_WIDTH and p["height"] <= MAX_HEIGHT, p


@pytest.mark.parametrize("name", ["fig_headline.png", "fig_points.png", "fig_curves.png", "fig_reliability.png"])
def test_saved_figures_are_100_dpi_and_fit(name):
    p = png_info((ROOT / "reports" / name).read_bytes())
    assert p["dpi"] == DPI and p["width"] <= MAX_WIDTH and p["height"] <= MAX_HEIGHT, (name, p)


def test_figure_text_is_legible():
    "Drawn from the committed results and runs: no text under 9 points, no two variant labels overlapping."
    import matplotlib; matplotlib.use("agg")
    import matplotlib.pyplot as plt
    import pandas as pd
    from embeddings_mixup.plots import plot_curves, plot_headline, plot_points, plot_reliability
    from embeddings_mixup.report import load_runs, predictions_of, select_protocol
    runs = select_protocol(load_runs(RUNS, verbose=False), "auto", verbose=False)
    kept = predictions_of(runs[runs.metrics_from == "predictions"])
    for fig in (plot_headline(pd.read_csv(ROOT / "reports" / "results.csv")), plot_points(runs), plot_curves(runs),
                plot_reliability(kept)):
        fig.canvas.draw()
        texts = [t for t in fig.findobj(matplotlib.text.Text) if t.get_visible() and t.get_text().strip()]
        small = {t.get_text(): t.get_fontsize() for t in texts if t.get_fontsize() < 9}
        assert not small, f"text under 9 pt: {small}"
        assert fig.get_size_inches()[0] * DPI <= MAX_WIDTH
        r = fig.canvas.get_renderer()
        boxes = [t.get_window_extent(r) for t in fig.axes[0].get_yticklabels() if t.get_text()]
        assert not any(a.overlaps(b) for a, b in zip(boxes, boxes[1:])), "variant labels overlap"
        plt.close(fig)


def test_committed_run_notebooks_show_no_stderr():
    "tqdm's bars and its IProgress warning are dropped from the committed run notebooks (lean_run_notebook)."
    found = {}
    for nb in sorted(RUNS.glob("*/train.ipynb")):
        for _, o in _outputs(json.loads(nb.read_text(encoding="utf-8"))):
            if o.get("name") == "stderr" or "IProgress not found" in _text(o.get("text")):
                found[nb.parent.name] = _text(o.get("text"))[:120]
    assert not found, f"{len(found)} run notebook(s) with a stderr box, e.g. {list(found.items())[:3]}"


def test_index_has_a_results_cell_with_output():
    nb = json.loads((ROOT / "nbs" / "index.ipynb").read_text(encoding="utf-8"))
    cells = [c for c in nb["cells"] if c["cell_type"] == "code" and "headline_markdown(" in _text(c["source"])]
    assert cells and all(c.get("outputs") for c in cells), "no results cell with output in nbs/index.ipynb"


# ---- in JupyterLab itself (headless Chromium; about 30 s) ----

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab_with_summary(tmp_path_factory):
    "JupyterLab serving a copy of reports/summary.ipynb, every cell rendered (no windowing), no news prompt."
    tmp = tmp_path_factory.mktemp("lab")
    root, home = tmp / "project", tmp / "home"
    (root / "reports").mkdir(parents=True)
    shutil.copy(SUMMARY, root / "reports" / "summary.ipynb")
    settings = home / ".jupyter" / "lab" / "user-settings" / "@jupyterlab"
    for ext, value in (("notebook-extension/tracker", {"windowingMode": "none"}),
                       ("apputils-extension/notification", {"fetchNews": "false"})):
        (settings / ext).parent.mkdir(parents=True, exist_ok=True)
        (settings / f"{ext}.jupyterlab-settings").write_text(json.dumps(value))
    env = {**os.environ, "HOME": str(home), "JUPYTER_CONFIG_DIR": str(home / ".jupyter"),
           "JUPYTER_RUNTIME_DIR": str(tmp / "runtime")}
    port, token = _free_port(), secrets.token_hex(16)
    log = (tmp / "lab.log").open("w")
    proc = subprocess.Popen([str(Path(sys.executable).parent / "jupyter"), "lab", "--no-browser", "--allow-root",
                             "--ip=127.0.0.1", f"--port={port}", f"--IdentityProvider.token={token}",
                             f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True",
                             "--LabApp.news_url=None"], cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try: urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2); break
            except OSError: time.sleep(0.25)
        else: pytest.fail(f"JupyterLab did not answer:\n{(tmp / 'lab.log').read_text()[-2000:]}")
        yield f"{base}/lab/tree/reports/summary.ipynb?token={token}&reset"
    finally:
        proc.terminate(); proc.wait(15); log.close()


JS_PANEL = """const p = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer');
if (!p) return null; const imgs = [...p.querySelectorAll('img')];
return {height: p.scrollHeight, view: p.clientHeight, width: p.clientWidth,
        cells: p.querySelectorAll('.jp-Cell').length, images: imgs.length, loaded: imgs.every(i => i.complete)};"""


def _measure(browser, url, collapse: bool) -> dict:
    browser.get(url)
    last, state = None, None
    for _ in range(120):
        state = browser.execute_script(JS_PANEL)
        if state and state["cells"] and state["loaded"] and state == last: break
        last = state; time.sleep(0.5)
    if collapse:
        browser.execute_script("window.jupyterapp.commands.execute('application:toggle-left-area')"); time.sleep(1.5)
        state = browser.execute_script(JS_PANEL)
    return state


def test_summary_in_jupyterlab(lab_with_summary, tmp_path):
    """Opened in JupyterLab at 1440×900: at most about 8 screens with the left sidebar collapsed (as issue 30 measured
    the old summary: 19,504 px, 25 screens), at most 9 with the file browser open. Screenshot of the headline:
    $READERS_SCREENSHOT, else tmp_path."""
    from _chromium import chromium
    browser = chromium()
    try:
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                {"width": 1440, "height": 900, "deviceScaleFactor": 1, "mobile": False})
        opened = _measure(browser, lab_with_summary, collapse=False)
        collapsed = _measure(browser, lab_with_summary, collapse=True)
        shot = Path(os.environ.get("READERS_SCREENSHOT", tmp_path / "summary_in_lab.png"))
        browser.execute_script("""const p = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer');
            const h = [...p.querySelectorAll('h2')].find(e => e.textContent.startsWith('The headline'));
            p.scrollTop += h.getBoundingClientRect().top - p.getBoundingClientRect().top - 8;""")
        time.sleep(0.5); browser.save_screenshot(str(shot))
    finally:
        browser.quit()
    assert collapsed["images"] == 4 and collapsed["width"] > 1300, collapsed
    screens = collapsed["height"] / collapsed["view"]
    assert screens <= SCREENS + 0.25, f"{collapsed['height']} px: {screens:.1f} screens of {collapsed['view']} px"
    assert opened["height"] / opened["view"] <= SCREENS + 1, opened
