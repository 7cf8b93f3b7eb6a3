"""JupyterLab, as the README sets it up: saving runs nbdev_clean, notebooks open unmodified, and
nbs/01_mixup.ipynb runs top to bottom in a real browser (headless Chromium).

Lab serves a temporary copy of settings.ini and the notebooks (Run All and Save must not touch the
working tree), from a temporary HOME in which the README's two Lab commands were run
(`nbdev_install_hooks`, and the kernel registered with the display name nbdev writes)."""
import json, os, secrets, shutil, socket, subprocess, sys, time, urllib.request
from pathlib import Path

import pytest

from _chromium import chromium

ROOT = Path(__file__).resolve().parent.parent
NB = "nbs/01_mixup.ipynb"
OWN_NB = "nbs/15_docs.ipynb"                                         # holds language_info (README: stamp_language_info)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); return s.getsockname()[1]


def _api(base, token, path, data=None, method="GET"):
    req = urllib.request.Request(f"{base}/api/{path}", method=method, headers={"Authorization": f"token {token}"},
                                 data=None if data is None else json.dumps(data).encode())
    with urllib.request.urlopen(req, timeout=30) as r: return json.loads(r.read() or b"null")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    "JupyterLab on 127.0.0.1, a free port and a token, serving a copy of the project; stopped afterwards."
    tmp = tmp_path_factory.mktemp("lab")
    root, home, prefix = tmp/"project", tmp/"home", tmp/"jupyter-prefix"
    (root/"nbs").mkdir(parents=True); home.mkdir()
    shutil.copy(ROOT/"settings.ini", root)
    for nb in (NB, OWN_NB): shutil.copy(ROOT/nb, root/nb)
    env = {**os.environ, "HOME": str(home), "PYTHONPATH": str(ROOT), "JUPYTER_PATH": str(prefix/"share"/"jupyter"),
           "JUPYTER_CONFIG_DIR": str(home/".jupyter"), "JUPYTER_RUNTIME_DIR": str(tmp/"runtime"), "MPLBACKEND": "agg"}
    bin_ = Path(sys.executable).parent
    # the README's JupyterLab set-up, into this temporary HOME (--prefix here where the README says --sys-prefix)
    subprocess.run([str(bin_/"nbdev_install_hooks")], cwd=home, env=env, check=True, capture_output=True)
    subprocess.run([sys.executable, "-m", "ipykernel", "install", "--prefix", str(prefix), "--name", "python3",
                    "--display-name", "python3"], env=env, check=True, capture_output=True)
    port, token = _free_port(), secrets.token_hex(16)
    log = (tmp/"lab.log").open("w")
    proc = subprocess.Popen([str(bin_/"jupyter"), "lab", "--no-browser", "--allow-root", "--ip=127.0.0.1", f"--port={port}",
                             "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
                             "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=None"],
                            cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)   # cwd: nbdev's hook finds settings.ini from here
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            if proc.poll() is not None: pytest.fail(f"JupyterLab exited ({proc.returncode}):\n{(tmp/'lab.log').read_text()[-3000:]}")
            try: _api(base, token, "status"); break
            except OSError: time.sleep(0.25)
        else: pytest.fail(f"JupyterLab did not answer on {base} in 30 s:\n{(tmp/'lab.log').read_text()[-3000:]}")
        yield dict(base=base, token=token, root=root, env=env, proc=proc, log=tmp/"lab.log")
    finally:
        proc.terminate()
        try: proc.wait(15)
        except subprocess.TimeoutExpired: proc.kill(); proc.wait(5)
        log.close()
    assert proc.poll() is not None


@pytest.fixture(scope="module")
def browser():
    d = chromium()
    yield d
    d.quit()


def _nbdev_clean_text(lab, path: Path) -> str:
    "What nbdev_clean makes of the file (run on a copy, from the project folder as nbdev needs)."
    cp = path.with_name("_clean_" + path.name); shutil.copy(path, cp)
    subprocess.run([str(Path(sys.executable).parent/"nbdev_clean"), "--fname", str(cp)], cwd=lab["root"], env=lab["env"],
                   check=True, capture_output=True)
    text = cp.read_text(encoding="utf-8"); cp.unlink(); return text


def test_save_through_lab_is_clean(lab):
    "A save through Lab's contents API of what Lab holds after a run leaves exactly what nbdev_clean writes."
    path = lab["root"]/NB
    original = path.read_text(encoding="utf-8")
    model = _api(lab["base"], lab["token"], f"contents/{NB}?content=1")
    nb = model["content"]
    nb["metadata"]["kernelspec"]["display_name"] = "Python 3 (ipykernel)"       # what Lab writes on open...
    nb["metadata"]["language_info"] = {"name": "python", "version": "3.11.0"}
    nb["metadata"]["toc"] = {"number_sections": True}
    code = next(c for c in nb["cells"] if c["cell_type"] == "code")
    code["execution_count"] = 7; code["metadata"].update(scrolled=True, collapsed=False, execution={"shell.execute_reply": "x"})
    _api(lab["base"], lab["token"], f"contents/{NB}", dict(type="notebook", format="json", content=nb), method="PUT")
    saved = path.read_text(encoding="utf-8")
    assert saved != original, "the save did not happen"
    assert saved == _nbdev_clean_text(lab, path), "JupyterLab's save left what nbdev_clean would change (jupyter_hooks?)"
    got = json.loads(saved)
    assert got["metadata"]["kernelspec"]["display_name"] == "python3" and "toc" not in got["metadata"]
    first = next(c for c in got["cells"] if c["cell_type"] == "code")
    assert first["execution_count"] is None and first["metadata"] == {}
    want = json.loads(original); want["metadata"]["language_info"] = {"name": "python", "version": "3.11.0"}
    assert got == want, "the save changed more than the kept language_info"
    path.write_text(original, encoding="utf-8")


JS_STATE = """const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
if (!w || !w.context || !w.sessionContext || !w.context.isReady) return null;
const k = w.sessionContext.session && w.sessionContext.session.kernel;
let n = 0, done = 0, errs = [];
for (const c of w.context.model.cells) {
  if (c.type !== 'code') continue; n++; if (c.executionCount) done++;
  for (let i = 0; i < c.outputs.length; i++) { const o = c.outputs.get(i).toJSON();
    if (o.output_type === 'error') errs.push(o.ename + ': ' + o.evalue); } }
return {path: w.context.path, dirty: w.context.model.dirty, kernel: k ? k.status : null, n, done, errs,
        running: document.querySelectorAll('.jp-InputPrompt').length ?
          [...document.querySelectorAll('.jp-InputPrompt')].filter(e => e.textContent.includes('*')).length : 0};"""


def _open(browser, lab, nb, timeout=60):
    "Open `nb` in Lab and wait until its kernel is idle and Lab has written the kernel's metadata."
    browser.get(f"{lab['base']}/lab/tree/{nb}?token={lab['token']}&reset")
    end = time.time() + timeout
    while time.time() < end:
        st = browser.execute_script(JS_STATE)
        if st and st["path"] == nb and st["kernel"] == "idle": time.sleep(1.5); return browser.execute_script(JS_STATE)
        time.sleep(0.25)
    pytest.fail(f"{nb} did not open with an idle kernel in {timeout} s; last state {st}:\n{lab['log'].read_text()[-2000:]}")


def _menu(browser, menu: str, command: str):
    "Click the menu bar's `menu`, then its item that runs `command` (as a user does)."
    from selenium.webdriver.common.by import By
    item = next(e for e in browser.find_elements(By.CSS_SELECTOR, "#jp-menu-panel .lm-MenuBar-item") if e.text.strip() == menu)
    item.click()
    found = browser.find_elements(By.CSS_SELECTOR, f'.lm-Menu-item[data-command="{command}"]')
    if not found:
        there = [(e.get_attribute("data-command"), e.text) for e in browser.find_elements(By.CSS_SELECTOR, ".lm-Menu-item")]
        pytest.fail(f"no {command!r} in JupyterLab's {menu} menu; it holds {there}")
    found[0].click()


def test_opens_unmodified(lab, browser):
    "Opening a notebook that holds language_info (stamp_language_info) does not mark it modified."
    st = _open(browser, lab, OWN_NB)
    assert not st["dirty"], f"{OWN_NB} is marked modified as soon as it opens: compare its metadata with the kernel's"
    st = _open(browser, lab, NB)
    assert not st["dirty"], (f"{NB} is marked modified as soon as it opens; stamp it: "
                             f"python -m embeddings_mixup.docs --stamp-language-info {NB}")


def test_run_all_cells_in_lab(lab, browser):
    "Run > Run All Cells on nbs/01_mixup.ipynb: every code cell runs, none shows an error; File > Save leaves it clean."
    st = _open(browser, lab, NB)
    _menu(browser, "Run", "runmenu:run-all")                 # Run > Run All Cells
    end = time.time() + 90
    while time.time() < end:
        st = browser.execute_script(JS_STATE)
        if st["errs"] or (st["done"] == st["n"] and st["kernel"] == "idle" and not st["running"]): break
        time.sleep(0.5)
    assert not st["errs"], f"error output in {NB}: {st['errs']}"
    assert st["done"] == st["n"], f"only {st['done']} of {st['n']} code cells ran in 90 s (kernel {st['kernel']})"
    path = lab["root"]/NB
    before = path.stat().st_mtime_ns
    _menu(browser, "File", "docmanager:save")              # File > Save Notebook
    end = time.time() + 20
    while time.time() < end and (path.stat().st_mtime_ns == before or browser.execute_script(JS_STATE)["dirty"]):
        time.sleep(0.25)
    assert path.stat().st_mtime_ns != before, "File > Save did not write the notebook"
    saved = path.read_text(encoding="utf-8")
    assert saved == _nbdev_clean_text(lab, path), "the notebook Lab saved after Run All is not what nbdev_clean writes"
    assert all(c.get("execution_count") is None for c in json.loads(saved)["cells"] if c["cell_type"] == "code")
