"A sweep killed mid-grid and restarted reruns only the unfinished run and gives the same summary table."
import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import yaml

from conftest import ROOT
from embeddings_mixup.report import load_runs, results_table
from embeddings_mixup.locks import LOCKS
from embeddings_mixup.sweep import run_grid


def grid_file(tmp_path, name):
    grid = yaml.safe_load((ROOT / "grids" / "smoke.yaml").read_text())
    grid.update(name=name, out_root=str(tmp_path / name))
    grid["base"].update(limit=32, eval_limit=32)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(grid))
    return path


def statuses(root):
    return {p.parent.name: json.loads(p.read_text())["status"] for p in root.glob("*/metrics.json")}


def test_killed_sweep_resumes_with_only_the_unfinished_run(tmp_path):
    # an uninterrupted sweep, for reference
    ref = grid_file(tmp_path, "ref")
    assert [r["status"] for r in run_grid(ref, root=ROOT, progress=False)] == ["done", "done"]
    for nb in (tmp_path / "ref").glob("*/train.ipynb"):   # run notebooks are lean: no machine paths, no images
        text = nb.read_text(encoding="utf-8")
        assert str(ROOT) not in text and "image/png" not in text, f"{nb} holds a path of this checkout or an image"

    # the same grid, killed while its second run is in progress
    killed = grid_file(tmp_path, "killed")
    code = (f"from embeddings_mixup.sweep import run_grid; "
            f"run_grid({str(killed)!r}, root={str(ROOT)!r}, progress=False, workers=1)")   # one run at a time
    p = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=os.environ.copy(),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    root = tmp_path / "killed"
    try:
        deadline = time.time() + 300
        while time.time() < deadline and list(statuses(root).values()).count("complete") < 1: time.sleep(0.5)
        assert list(statuses(root).values()) == ["complete"], "the first run did not finish in time"
        while time.time() < deadline and len([d for d in root.iterdir() if d.is_dir() and not d.name.startswith(".")]) < 2: time.sleep(0.5)
        time.sleep(2)
    finally:
        os.killpg(p.pid, signal.SIGKILL); p.wait(30)
    first = [k for k, v in statuses(root).items() if v == "complete"]
    assert len(first) == 1

    locks = [d.name for d in (root / LOCKS).iterdir()]
    assert len(locks) == 1 and locks[0] not in first, "the killed run's lock is not left behind"   # its owner is dead

    results = run_grid(killed, root=ROOT, progress=False)
    assert sorted(r["status"] for r in results) == ["done", "skipped"]
    assert f"unlock {locks[0]}: cleared the lock of a dead run" in (root / "sweep.log").read_text()
    assert list((root / LOCKS).iterdir()) == []
    assert [r["run_id"] for r in results if r["status"] == "skipped"] == first
    assert set(statuses(root).values()) == {"complete"}

    pd.testing.assert_frame_equal(results_table(load_runs(tmp_path / "ref")), results_table(load_runs(root)))
