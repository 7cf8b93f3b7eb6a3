"""Apply DOCS_TODO.md to the library notebooks, mechanically; run from the repository root after merging:

    python tools/apply_docs_todo.py            # edits nbs/, then nbdev_export, nbdev_clean, README.md
    python tools/apply_docs_todo.py --dry-run  # says what it would do

Each step finds its target by rule, not by cell id, and stops with a message when a notebook no longer looks
as DOCS_TODO.md describes (then do that item by hand). Re-running it changes nothing.
"""
import argparse, ast, re, subprocess, sys, warnings
from pathlib import Path

import nbformat

from embeddings_mixup.docs import mixed_import_cells, page_clashes, stamp_language_info

NBS = Path("nbs")
RENAME = ("03_train.ipynb", "03_training.ipynb")     # 03_train and train.ipynb both become train.html on the site
REF_OLD = "study:pd.DataFrame=SEED_STUDY,"
REF_NEW = "study:pd.DataFrame|None=None, # default: `SEED_STUDY`"


def split_leading_imports(cell) -> tuple[str, str] | None:
    "(imports, rest) of a cell that starts with import statements (comments and directives stay with the rest), or None."
    tree = ast.parse(cell.source)
    lead = []
    for st in tree.body:
        if not isinstance(st, (ast.Import, ast.ImportFrom)): break
        lead.append(st)
    if not lead or len(lead) == len(tree.body): return None
    lines = cell.source.splitlines()
    idx = {i for st in lead for i in range(st.lineno - 1, st.end_lineno)}
    return "\n".join(lines[i] for i in sorted(idx)), "\n".join(l for i, l in enumerate(lines) if i not in idx).strip("\n")


def fix_import_cells(nb_path: Path, dry: bool) -> list[str]:
    "Split each cell that nbdev runs while building docs because it imports into an import cell and the rest."
    with warnings.catch_warnings():
        warnings.simplefilter("ignore"); flagged = dict(mixed_import_cells(nb_path))
    if not flagged: return []
    nb, done = nbformat.read(nb_path, as_version=4), []
    for i in reversed(range(len(nb.cells))):
        c = nb.cells[i]
        if c.get("id") not in flagged: continue
        parts = split_leading_imports(c)
        if parts is None: sys.exit(f"{nb_path} cell {c.id}: its imports do not lead the cell; split it by hand (DOCS_TODO.md 1)")
        imports, rest = parts
        c.source = rest
        new = nbformat.v4.new_code_cell(imports); new.id = (c.id[:6] + "im")[:8]
        nb.cells.insert(i, new)
        done.append(f"{nb_path.name} {c.id}: imports {imports.splitlines()[0]!r}... moved to a cell of their own ({new.id})")
    if not dry: nbformat.write(nb, nb_path)
    return done


def fix_reference_table(dry: bool) -> list[str]:
    "reference_table: a None default instead of a DataFrame, which show_doc cannot print (pandas compares it to `empty`)."
    p = NBS/"04_report.ipynb"; nb = nbformat.read(p, as_version=4)
    cells = [c for c in nb.cells if "def reference_table(" in c.source]
    if len(cells) != 1: sys.exit(f"{p}: expected one cell defining reference_table, found {len(cells)} (DOCS_TODO.md 3)")
    c = cells[0]
    if REF_NEW in c.source: return []
    if REF_OLD not in c.source: sys.exit(f"{p} cell {c.id}: reference_table's signature changed; apply DOCS_TODO.md 3 by hand")
    src = c.source.replace(REF_OLD, REF_NEW)
    doc = re.search(r'(def reference_table\(.*?\)\s*->\s*[^:]+:\n)(\s+)(".*?"\n)', src, re.S)
    if not doc: sys.exit(f"{p} cell {c.id}: no docstring after reference_table's signature; apply DOCS_TODO.md 3 by hand")
    src = src[:doc.end()] + f"{doc.group(2)}study = SEED_STUDY if study is None else study\n" + src[doc.end():]
    if not dry: c.source = src; nbformat.write(nb, p)
    return [f"{p.name} {c.id}: reference_table(study=None) -> SEED_STUDY"]


def rename_train_notebook(dry: bool) -> list[str]:
    old, new = NBS/RENAME[0], NBS/RENAME[1]
    if not old.exists(): return []
    if not dry:
        subprocess.run(["git", "mv", str(old), str(new)], check=True)
        for p in [NBS/"index.ipynb"]:                                   # the README's table of notebooks
            p.write_text(p.read_text(encoding="utf-8").replace(f"nbs/{RENAME[0]}", f"nbs/{RENAME[1]}"), encoding="utf-8")
    return [f"git mv {old} {new} (page training.html; the module stays embeddings_mixup.train)"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dry-run", action="store_true")
    a = ap.parse_args(argv)
    if not (NBS/"index.ipynb").exists(): sys.exit("run from the repository root")
    done = []
    for p in sorted(NBS.glob("*.ipynb")): done += fix_import_cells(p, a.dry_run)
    done += fix_reference_table(a.dry_run)
    done += rename_train_notebook(a.dry_run)
    if not a.dry_run:
        done += [f"language_info written into {p}" for p in stamp_language_info(sorted(NBS.glob("*.ipynb")))]
        for cmd in (["nbdev_export"], ["nbdev_clean"], [sys.executable, "-m", "embeddings_mixup.readme"]): subprocess.run(cmd, check=True)
        if page_clashes(NBS): sys.exit(f"pages still shared: {page_clashes(NBS)}")
    print("\n".join(done) or "nothing to do")
    return 0


if __name__ == "__main__": raise SystemExit(main())
