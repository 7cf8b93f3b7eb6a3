"""House rules of the package (issue 12): short functions, short lines, notebooks that open and save clean.

They read the exported modules and the notebooks' JSON, and have bash parse the scripts, in about a second."""
import ast, json, subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MODULES = sorted(p for p in (ROOT / "embeddings_mixup").glob("*.py") if p.name != "_modidx.py")
NOTEBOOKS = sorted((ROOT / "nbs").glob("*.ipynb"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_functions_at_most_60_lines(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    long = [f"{n.name} ({n.end_lineno - n.lineno + 1} lines, line {n.lineno})" for n in ast.walk(tree)
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.end_lineno - n.lineno + 1 > 60]
    assert not long, f"{path.name}: functions over 60 lines (split them in the notebook): {long}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_lines_at_most_120_characters(path):
    "nbdev's generated `__all__` is the one exception: it wraps at 120 characters after its prefix."
    long = [i for i, l in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if len(l) > 120 and not l.startswith("__all__ = [")]
    assert not long, f"{path.name}: lines over 120 characters at {long} (fix them in the notebook)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_sources_are_line_lists(path):
    "Jupyter saves a cell's source as a list of lines; a single string is rewritten by the first save from Lab."
    nb = json.loads(path.read_text(encoding="utf-8"))
    strings = [c.get("id") for c in nb["cells"] if isinstance(c["source"], str) and c["source"]]
    assert not strings, f"{path.name}: cells {strings} hold their source as one string; save them as lists of lines"


SCRIPTS = sorted(ROOT.glob("gpu/**/*.sh")) + sorted(ROOT.glob(".ci/*"))


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_shell_scripts_parse(path):
    "The device and CI scripts run where no test reaches (a lent GPU, CI): bash at least reads each one whole."
    r = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
    assert r.returncode == 0, f"{path.relative_to(ROOT)} does not parse: {r.stderr}"
