"""The docs site, built offline and opened in headless Chromium: nbdev's own notebook processing
(`nbdev.serve.proc_nbs`'s steps), the processed notebooks as Markdown pages, MkDocs with Material
(`python -m embeddings_mixup.docs`, nbs/15_docs.ipynb).

Every failure names the notebook, page or link to fix."""
import configparser, importlib, inspect, json, re, warnings
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pandas as pd
import pytest
from execnb.nbio import read_nb

from _chromium import chromium
from embeddings_mixup.docs import build_site, mixed_import_cells
from embeddings_mixup.docs_pages import front_matter, page_clashes, slugify

ROOT = Path(__file__).resolve().parent.parent
NBS = ROOT/"nbs"
_cfg = configparser.ConfigParser(); _cfg.read(ROOT/"settings.ini"); _cfg = _cfg["DEFAULT"]
# the addresses settings.ini names for a public site and repository: none of them exists, no page may link there
PLACEHOLDERS = sorted({urlsplit(_cfg["doc_host"]).netloc, urlsplit(_cfg["git_url"]).netloc + urlsplit(_cfg["git_url"]).path})


def _default_exp(nb: Path):
    for c in json.loads(nb.read_text(encoding="utf-8"))["cells"]:
        m = re.search(r"^#\|\s*default_exp\s+(\S+)", "".join(c["source"]), re.M) if c["cell_type"] == "code" else None
        if m: return m.group(1)


# every module with an API; `__main__` (08_main) is only the `python -m embeddings_mixup` entry point
MODULES = {nb.name: m for nb in sorted(NBS.glob("*.ipynb")) if (m := _default_exp(nb)) and m != "__main__"}


def _report(problems: dict, what: str):
    "Fail, naming every notebook or page and its problem."
    if problems: pytest.fail(f"{what}:\n" + "\n".join(f"- {k}: {p}" for k, p in problems.items()))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    "The whole site, built as `python -m embeddings_mixup.docs` builds it, into a temporary folder."
    lines = []
    r = build_site(ROOT, tmp_path_factory.mktemp("docs")/"site", n_workers=2, log=lines.append)
    r["lines"] = lines
    r["page_of"] = {p["nb"]: r["site"]/Path(p["md"]).with_suffix(".html") for p in r["pages"]}
    return r


@pytest.fixture(scope="module")
def browser():
    d = chromium()
    yield d
    d.quit()


def _open(browser, page: Path):
    browser.get(page.as_uri())
    return browser


# what a reader sees of a page: its heading, its prose and outputs (code blocks and inline code left out: they may quote
# markup on purpose), the anchors, the addresses it links or loads, its figures
JS_PAGE = """const h = document.querySelector('article h1')?.cloneNode(true);
             h?.querySelectorAll('.headerlink').forEach(e => e.remove());
             const a = document.querySelector('article').cloneNode(true);
             a.querySelectorAll('pre, code, .highlight').forEach(e => e.remove());
             return {h1: h?.textContent.trim(), text: a.innerText,
                     ids: [...document.querySelectorAll('[id]')].map(e => e.id),
                     urls: [...document.querySelectorAll('[href], [src]')].map(e => e.getAttribute('href') || e.getAttribute('src')),
                     figs: [...document.querySelectorAll('article img.nb-figure')].map(i => i.complete && i.naturalWidth > 0)}"""


@pytest.fixture(scope="module")
def seen(site, browser):
    "Every page of the site (but 404.html) as the browser shows it: `JS_PAGE`'s findings, by path relative to the site."
    return {str(p.relative_to(site["site"])): _open(browser, p).execute_script(JS_PAGE)
            for p in sorted(site["site"].rglob("*.html")) if p.name != "404.html"}


def test_docs_processing_passes_offline(site):
    "nbdev's processing (what nbdev_docs hands to Quarto) runs through every notebook without the network."
    _report(site["errors"], "nbdev's processing stopped in these notebooks (cell id, first line, error)")


def test_build_reports_progress(site):
    "No long silence: a line per notebook processed and per page rendered."
    n_nbs = len(list(NBS.glob("*.ipynb")))
    done = [l for l in site["lines"] if re.match(r"\[\s*\d+/%d\] \S+\.ipynb" % n_nbs, l)]
    rendered = [l for l in site["lines"] if re.match(r"\[\s*\d+/\d+\] \S+\.html$", l)]
    assert len(done) == n_nbs, f"{len(done)} progress lines for {n_nbs} notebooks:\n" + "\n".join(site["lines"])
    assert len(rendered) >= n_nbs, f"{len(rendered)} page lines for {n_nbs} notebooks"


def test_mkdocs_has_no_warning(site):
    "MkDocs found every page and heading that a link names."
    _report(dict(enumerate(site["warnings"], 1)), "MkDocs warnings (a link to a missing page or heading)")


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


JS_NAV = "return [...document.querySelectorAll('nav.md-nav--primary a.md-nav__link[href]')].map(a => a.href)"


def test_every_notebook_is_a_page_in_the_navigation(site, browser, seen):
    "Each notebook has a page, titled as its front matter says, and the sidebar of the home page links to every page."
    home = site["site"]/"index.html"
    assert home.exists(), f"no home page: index.ipynb was not processed ({site['errors'].get('index.ipynb')})"
    nav = {Path(unquote(urlsplit(u).path)).resolve() for u in _open(browser, home).execute_script(JS_NAV)}
    problems = {}
    for nb, page in site["page_of"].items():
        if not page.exists(): problems[nb] = f"no page {page.name}"
        elif page.resolve() not in nav: problems[nb] = f"{page.name} is not in the navigation"
    missing = {nb.name: "not processed" for nb in NBS.glob("*.ipynb") if nb.name not in site["page_of"]}
    _report({**missing, **problems}, "notebooks without a page in the navigation")
    titles = {}
    for nb, page in site["page_of"].items():
        want, got = front_matter(read_nb(site["proc"]/nb))[0].get("title"), seen[page.name]["h1"]
        if want and got != want: titles[nb] = f"heading {got!r}, front matter title {want!r}"
    _report(titles, "pages whose heading is not the notebook's title")


def test_navigation_between_pages(site, browser):
    "From the home page: a sidebar link opens the first library page, its Next link the page after it, an API link its entry."
    from selenium.webdriver.common.by import By
    b = _open(browser, site["site"]/"index.html")
    links = b.find_elements(By.CSS_SELECTOR, "nav.md-nav--primary a.md-nav__link[href$='.html']")
    first = next(a for a in links if not a.get_attribute("href").endswith("/index.html"))
    label, target = first.text.strip(), first.get_attribute("href")
    b.execute_script("arguments[0].click()", first)
    assert b.current_url == target, f"clicking {label!r} in the sidebar opened {b.current_url}, not {target}"
    assert b.title.startswith(label), f"page title {b.title!r} after clicking {label!r}"
    nxt = b.find_element(By.CSS_SELECTOR, "a.md-footer__link--next")
    want = nxt.get_attribute("href")
    b.execute_script("arguments[0].click()", nxt)
    assert b.current_url == want and b.find_element(By.CSS_SELECTOR, "article h1").text, f"Next led to {b.current_url}"
    b = _open(browser, site["site"]/"index.html")
    api = [a.get_attribute("href") for a in b.find_elements(By.CSS_SELECTOR, "article a[href*='.html#']")
           if a.get_attribute("href").startswith("file:") and "/index.html" not in a.get_attribute("href")]
    assert api, "the home page links to no API entry of another page"
    b.get(api[0])
    frag = urlsplit(api[0]).fragment
    assert b.execute_script("return !!document.getElementById(arguments[0])", frag), f"{api[0]}: no element with id {frag!r}"


def _public(module: str):
    "Names of the functions and classes the module defines and exports (its `__all__`)."
    mod = importlib.import_module(f"embeddings_mixup.{module}")
    return [n for n in getattr(mod, "__all__", []) if (inspect.isfunction(getattr(mod, n)) or inspect.isclass(getattr(mod, n)))
            and getattr(getattr(mod, n), "__module__", "") == mod.__name__]


@pytest.mark.parametrize("nb", sorted(MODULES))
def test_module_page_carries_api_entries(site, seen, nb):
    "Each public function and class of the module has its show_doc entry: a heading with the anchor nbdev's links use."
    page = site["page_of"].get(nb)
    if not page or not page.exists(): _report({nb: "no page: processing failed (see test_docs_processing_passes_offline)"}, "module pages")
    names = _public(MODULES[nb])
    assert names, f"embeddings_mixup.{MODULES[nb]} exports no function or class: is __all__ empty?"
    ids = set(seen[page.name]["ids"])
    missing = [n for n in names if slugify(n) not in ids]
    _report({nb: f"no show_doc entry for {missing}"} if missing else {}, "public names without an API entry")


def test_pages_show_their_figures(site, seen):
    "Every image output of every processed notebook is on its page and loads; the module pages hold figures."
    bad, module_figs = {}, 0
    for nb, page in site["page_of"].items():
        cells = json.loads((site["proc"]/nb).read_text(encoding="utf-8"))["cells"]
        want = sum(1 for c in cells for o in c.get("outputs", []) if any(k.startswith("image/") for k in o.get("data", {})))
        imgs = seen[page.name]["figs"]
        if len(imgs) != want or not all(imgs):
            bad[nb] = f"{want} image outputs, {len(imgs)} images on the page, {sum(imgs)} loaded"
        if nb in MODULES: module_figs += len(imgs)
    _report(bad, "figures missing or broken")
    assert module_figs > 0, "no module page shows a figure"


RAW = {"front matter": re.compile(r"---\s*(description|title|output-file|skip_exec):"), "output-file": re.compile(r"output-file:"),
       "Quarto attributes": re.compile(r"\{(target|style|\.callout)[=-]?"), "prompt": re.compile(r"\b(In|Out)\s?\[\s*\d*\s*\]:"),
       "directive": re.compile(r"#\|"), "fenced div": re.compile(r"^:::|:::\s*\{", re.M), "TeX": re.compile(r"\$\$|\$\\|\\\(|\\\[")}


def test_no_raw_markup_or_placeholder_links(seen):
    "No page shows front matter, Quarto attributes, prompts, directives or TeX as text, or links or loads a placeholder address."
    problems = {}
    for page, p in seen.items():
        found = [k for k, r in RAW.items() if r.search(p["text"])]
        found += [f"links to {u}" for u in p["urls"] if any(h in u for h in PLACEHOLDERS)]
        found += [f"shows {h}" for h in PLACEHOLDERS if h in p["text"]]
        if found: problems[page] = "; ".join(found[:5])
    _report(problems, "pages with raw markup or placeholder addresses")


class _Links(HTMLParser):
    def __init__(self):
        super().__init__(); self.ids, self.links = set(), []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"): self.ids.add(a["id"])
        if tag == "a" and a.get("name"): self.ids.add(a["name"])
        for k in ("href", "src"):
            if a.get(k) and not (tag == "link" and a.get("rel") == "canonical"): self.links.append(a[k])


def test_every_link_works_offline(site):
    "Every relative link and file of every page exists in the site, with the heading or line it names; nothing is fetched from the network but by a link."
    parsed = {}
    def parse(p):
        if p not in parsed: parsed[p] = _Links(); parsed[p].feed(p.read_text(encoding="utf-8"))
        return parsed[p]
    problems = {}
    for page in sorted(site["site"].rglob("*.html")):
        if page.name == "404.html": continue
        bad = []
        for u in parse(page).links:
            s = urlsplit(u)
            if s.scheme in ("http", "https", "mailto", "data", "javascript") or (not s.path and not s.fragment): continue
            target = (page.parent/unquote(s.path)).resolve() if s.path else page
            if not target.exists(): bad.append(f"{u} (no such file)")
            elif s.fragment and target.suffix == ".html" and unquote(s.fragment) not in parse(target).ids: bad.append(f"{u} (no such anchor)")
        if bad: problems[str(page.relative_to(site["site"]))] = "; ".join(bad[:6]) + (f" and {len(bad) - 6} more" if len(bad) > 6 else "")
    _report(problems, "broken links")
    for page in (site["site"]/"index.html", site["site"]/"mixup.html"):       # external scripts or styles would not load offline
        ext = [u for u in parse(page).links if urlsplit(u).scheme in ("http", "https") and re.search(r"\.(js|css)(\?|$)|fonts\.", u)]
        assert not ext, f"{page.name} loads from the network: {ext}"


def test_search_works_offline(site, browser):
    "The search box finds a function from a page opened from the file system (no server)."
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    b = _open(browser, site["site"]/"index.html")
    b.find_element(By.CSS_SELECTOR, "label.md-search__icon, .md-search__input").click()
    b.find_element(By.CSS_SELECTOR, "input.md-search__input").send_keys("stitchup")
    hits = WebDriverWait(b, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".md-search-result__item"))
    assert hits and "stitchup" in hits[0].text.lower(), f"search results: {[h.text for h in hits][:3]}"


def test_index_renders_results(site, browser):
    "The home page shows the headline table generated from reports/results.csv, and none of the code behind it."
    from embeddings_mixup.results import headline_rows
    page = site["site"]/"index.html"
    assert page.exists(), f"index.ipynb was not processed: {site['errors'].get('index.ipynb')}"
    b = _open(browser, page)
    shown, _ = headline_rows(pd.read_csv(ROOT/"reports"/"results.csv"))
    rows = b.execute_script("""return [...document.querySelectorAll('article table')]
        .filter(t => [...t.querySelectorAll('th')].some(th => th.textContent.trim() === 'variant'))
        .map(t => [...t.querySelectorAll('tbody tr')].map(r => [...r.cells].map(c => c.textContent.trim())))""")
    assert rows, "the home page has no results table (is the cell that writes it marked #| exec_doc?)"
    got = rows[0]
    want = list(dict.fromkeys(shown.variant))
    assert [r[0] for r in got] == want, f"{[r[0] for r in got]} on the page, {want} in the headline of results.csv"
    assert all(len(r) == 1 + 2 * shown.dataset.nunique() for r in got)   # Δ accuracy and Δ ECE per dataset
    text = b.execute_script("return document.body.innerText")
    assert "headline_markdown(" not in text and "rec_path" not in text, "the code of #| echo: false cells is on the page"
