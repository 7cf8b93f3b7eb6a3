"""The docs, checked where Quarto is not installed: nbdev's own notebook processing (`nbdev.serve.proc_nbs`,
offline), the processed notebooks rendered to HTML with nbconvert, the pages opened in headless Chromium.

Every failure names the notebook and the cell to fix."""
import importlib, inspect, json, re, warnings
from pathlib import Path

import pandas as pd
import pytest

from _chromium import chromium
from embeddings_mixup.docs import DocsError, mixed_import_cells, page_clashes, proc_docs, render_html

ROOT = Path(__file__).resolve().parent.parent
NBS = ROOT/"nbs"


def _default_exp(nb: Path):
    for c in json.loads(nb.read_text(encoding="utf-8"))["cells"]:
        m = re.search(r"^#\|\s*default_exp\s+(\S+)", "".join(c["source"]), re.M) if c["cell_type"] == "code" else None
        if m: return m.group(1)


# every module with an API; `__main__` (08_main) is only the `python -m embeddings_mixup` entry point
MODULES = {nb.name: m for nb in sorted(NBS.glob("*.ipynb")) if (m := _default_exp(nb)) and m != "__main__"}


def _report(problems: dict, what: str):
    "Fail, naming every notebook and its problem."
    if problems: pytest.fail(f"{what}:\n" + "\n".join(f"- {nb}: {p}" for nb, p in problems.items()))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    "Process every notebook with nbdev (offline) and render what was processed to HTML."
    errors = {}
    try: proc = proc_docs(ROOT, n_workers=2)
    except DocsError as e: errors, proc = e.errors, e.cache
    html = tmp_path_factory.mktemp("docs")
    render_html(proc, html)
    return dict(proc=proc, html=html, errors=errors)


@pytest.fixture(scope="module")
def browser():
    d = chromium()
    yield d
    d.quit()


def _open(browser, page: Path):
    browser.get(page.as_uri())
    return browser


def test_docs_processing_passes_offline(site):
    "nbdev's processing (what nbdev_docs hands to Quarto) runs through every notebook without the network."
    _report(site["errors"], "nbdev.serve.proc_nbs stopped in these notebooks (cell id, first line, error)")


def test_no_import_cell_runs_code():
    "nbdev runs every cell that imports while it builds the docs: such a cell must not also test, train or load data."
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = {nb.name: mixed_import_cells(nb) for nb in sorted(NBS.glob("*.ipynb"))}
    _report({k: "; ".join(f"{cid} ({line!r})" for cid, line in v) for k, v in found.items() if v},
            "cells that mix imports with other code (split the imports into a cell of their own)")


def test_no_two_notebooks_share_a_page():
    _report({" and ".join(v): f"both become {k}" for k, v in page_clashes(NBS).items()},
            "notebooks that Quarto turns into the same page")


def _public(module: str):
    "Names of the functions and classes the module defines and exports (its `__all__`)."
    mod = importlib.import_module(f"embeddings_mixup.{module}")
    return [n for n in getattr(mod, "__all__", []) if (inspect.isfunction(getattr(mod, n)) or inspect.isclass(getattr(mod, n)))
            and getattr(getattr(mod, n), "__module__", "") == mod.__name__]


JS_IDS = "return [...document.querySelectorAll('[id]')].map(e => e.id)"


@pytest.mark.parametrize("nb", sorted(MODULES))
def test_module_page_carries_api_anchors(site, browser, nb):
    "Each public function and class of the module has its show_doc heading (an anchor) on the module's page."
    page = site["html"]/f"{Path(nb).stem}.html"
    if not page.exists(): _report({nb: "no page: processing failed (see test_docs_processing_passes_offline)"}, "module pages")
    names = _public(MODULES[nb])
    assert names, f"embeddings_mixup.{MODULES[nb]} exports no function or class: is __all__ empty?"
    ids = set(_open(browser, page).execute_script(JS_IDS))
    missing = [n for n in names if n not in ids]
    _report({nb: f"no show_doc entry for {missing}"} if missing else {}, "public names without an API anchor")


JS_IMGS = """return [...document.querySelectorAll('.jp-OutputArea-output img')]
               .map(i => ({ok: i.complete && i.naturalWidth > 0, w: i.naturalWidth}))"""


def test_pages_show_their_figures(site, browser):
    "Every image output of every processed notebook is on its page and loads; the module pages hold figures."
    bad, module_figs = {}, 0
    for proc_nb in sorted(Path(site["proc"]).glob("*.ipynb")):
        nb = json.loads(proc_nb.read_text(encoding="utf-8"))
        want = sum(1 for c in nb["cells"] for o in c.get("outputs", []) if any(k.startswith("image/") for k in o.get("data", {})))
        imgs = _open(browser, site["html"]/f"{proc_nb.stem}.html").execute_script(JS_IMGS)
        if len(imgs) != want or not all(i["ok"] for i in imgs):
            bad[proc_nb.name] = f"{want} image outputs, {len(imgs)} images on the page, {sum(i['ok'] for i in imgs)} loaded"
        if proc_nb.name in MODULES: module_figs += len(imgs)
    assert not bad, f"figures missing or broken: {bad}"
    assert module_figs > 0, "no module page shows a figure"


def test_index_renders_results(site, browser):
    "The index page shows the results table generated from reports/results.csv, and none of the code behind it."
    page = site["html"]/"index.html"
    assert page.exists(), f"index.ipynb was not processed: {site['errors'].get('index.ipynb')}"
    b = _open(browser, page)
    table = pd.read_csv(ROOT/"reports"/"results.csv")
    rows = b.execute_script("""return [...document.querySelectorAll('table')]
        .filter(t => [...t.querySelectorAll('th')].some(th => th.textContent.trim() === 'variant'))
        .map(t => [...t.querySelectorAll('tbody tr')].map(r => [...r.cells].map(c => c.textContent.trim())))""")
    assert rows, "the index page has no results table (is the cell that writes it marked #| exec_doc?)"
    got = rows[0]
    assert len(got) == len(table), f"{len(got)} rows on the page, {len(table)} in reports/results.csv"
    assert [r[0] for r in got] == table.dataset.tolist() and [r[1] for r in got] == table.variant.tolist()
    text = b.execute_script("return document.body.innerText")
    assert "results_markdown(" not in text and "rec_path" not in text, "the code of #| echo: false cells is on the page"
