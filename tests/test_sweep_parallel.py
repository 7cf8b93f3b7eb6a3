"""Several runs at once, two sweeps at once, submitit jobs: every run runs exactly once, and the records do not depend
on how the runs were launched."""
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat
import pytest
import yaml

from conftest import ROOT, SMOKE
from embeddings_mixup.grids import load_grid
from embeddings_mixup.locks import LOCKS
from embeddings_mixup.sweep import main, run_grid

G = "base: {data: rotten_tomatoes, epochs: 1}\nseeds: [1, 2]\nvariants:\n  - {site: none}\n  - {site: embed, method: mixup}\n"


def write_grid(folder: Path, text: str = G, name: str = "g") -> Path:
    "A grid in `folder/grids/` whose runs go to `folder/runs/<name>` (the repo root is `folder`)."
    (folder / "settings.ini").touch()
    p = folder / "grids" / f"{name}.yaml"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(f"name: {name}\nout_root: runs/{name}\n" + text)
    return p


def journal_execute(journal: str, sleep: float = 0.0, fail: tuple = ()):
    "A stand-in for papermill.execute_notebook, usable from any process: each call appends (run, pid, threads, times)."
    def execute(input_path, output_path, parameters, cwd, **kw):
        out, t0 = Path(parameters["out_dir"]), time.time()
        time.sleep(sleep)
        Path(output_path).write_text("{}")
        status = "running" if any(f in out.name for f in fail) else "complete"
        rec = {"schema": 1, "status": status, "run_id": out.name, "params": parameters}
        (out / "metrics.json").write_text(json.dumps(rec))
        with open(journal, "a") as f:
            f.write(json.dumps({"run": out.name, "pid": os.getpid(), "threads": os.environ.get("OMP_NUM_THREADS"),
                                "t0": t0, "t1": time.time()}) + "\n")
        if status != "complete": raise RuntimeError("boom: the run failed")
    return execute


def journal(path) -> list[dict]:
    p = Path(path)
    return [json.loads(l) for l in p.read_text().splitlines()] if p.exists() else []


def test_two_sweeps_at_once_never_run_the_same_run(tmp_path):
    gp = write_grid(tmp_path, G.replace("seeds: [1, 2]", "seeds: [1, 2, 3]"))
    j = tmp_path / "journal.jsonl"
    code = textwrap.dedent(f"""
        import json, sys; sys.path.insert(0, {str(Path(__file__).parent)!r})
        from test_sweep_parallel import journal_execute
        from embeddings_mixup.sweep import run_grid
        res = run_grid({str(gp)!r}, execute=journal_execute({str(j)!r}, sleep=1.5), progress=False, workers=2)
        print(json.dumps(res))
    """)
    ps = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
          for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in ps]
    assert all(p.returncode == 0 for p in ps), [o[1][-2000:] for o in outs]
    results = [json.loads(o[0].strip().splitlines()[-1]) for o in outs]
    runs = [c["run"] for c in journal(j)]
    assert sorted(runs) == sorted(r["run_id"] for r in results[0]), "a run ran twice or not at all"
    for a, b in zip(*results):   # each run: done by one sweep; busy or already complete in the other
        assert sorted([a["status"], b["status"]]) in (["busy", "done"], ["done", "skipped"]), (a, b)
    assert list((load_grid(gp).out_path / LOCKS).iterdir()) == []


def test_submitit_local_executor_runs_each_run_as_a_job(tmp_path):
    gp, j = write_grid(tmp_path), tmp_path / "journal.jsonl"
    res = run_grid(gp, execute=journal_execute(str(j), fail=("embed",)), progress=False, launcher="submitit",
                   submitit={"cluster": "local", "time_min": 5}, workers=2)
    assert [r["status"] for r in res] == ["done", "failed"] * 2          # a failed job stops nothing
    calls = journal(j)
    assert sorted(c["run"] for c in calls) == sorted(r["run_id"] for r in res)
    assert os.getpid() not in {c["pid"] for c in calls} and len({c["pid"] for c in calls}) == 4   # 4 job processes
    assert {c["threads"] for c in calls} == {str(max(1, len(os.sched_getaffinity(0)) // 2))}
    out = load_grid(gp).out_path
    assert any((out / ".submitit").iterdir()), "no submitit job folder"
    log = (out / "sweep.log").read_text()
    assert "2 failed run(s)" in log and log.count("RuntimeError: boom: the run failed") >= 4   # job line + summary
    res = run_grid(gp, execute=journal_execute(str(j)), progress=False, launcher="submitit",
                   submitit={"cluster": "local", "time_min": 5})
    assert [r["status"] for r in res] == ["skipped", "done"] * 2 and len(journal(j)) == 6


def test_a_dying_job_is_a_failure_with_its_log(tmp_path):
    "A job whose process dies (not a failing notebook: the job itself) is reported failed, with submitit's log path."
    def execute(*a, **k): os._exit(3)
    gp = write_grid(tmp_path, G.replace("seeds: [1, 2]", "seeds: [1]"))
    res = run_grid(gp, execute=execute, progress=False, launcher="submitit", submitit={"cluster": "local"}, workers=1)
    assert [r["status"] for r in res] == ["failed", "failed"]
    log = (load_grid(gp).out_path / "sweep.log").read_text()
    assert "its job died" in log and "job log: " in log


def test_kernels_get_their_thread_share(tmp_path):
    "The papermill kernel of each run, a separate process, really runs with the threads the sweep gives it."
    nbp = tmp_path / "nbs" / "train.ipynb"
    params = nbformat.v4.new_code_cell('data = "rotten_tomatoes"\nsite = "none"\nmethod = "mixup"\nseed = 1\nepochs = 1\n'
                                       'out_dir = None')
    params.metadata["tags"] = ["parameters"]
    body = ("from pathlib import Path\nimport json, os, torch\nPath(out_dir).mkdir(parents=True, exist_ok=True)\n"
            "(Path(out_dir)/'metrics.json').write_text(json.dumps({'schema': 1, 'status': 'complete', "
            "'threads': torch.get_num_threads(), 'omp': os.environ.get('OMP_NUM_THREADS')}))")
    nb = nbformat.v4.new_notebook(cells=[params, nbformat.v4.new_code_cell(body)])
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "python3", "language": "python"}}
    nbp.parent.mkdir(parents=True)
    nbformat.write(nb, str(nbp))
    gp = write_grid(tmp_path, "base: {epochs: 1}\nseeds: [1, 2]\nvariants: [{site: none}]\n")
    for workers, threads, want in ((2, None, max(1, len(os.sched_getaffinity(0)) // 2)), (1, 2, 2), (2, 1, 1)):
        res = run_grid(gp, progress=False, workers=workers, threads=threads)
        recs = [json.loads((load_grid(gp).out_path / r["run_id"] / "metrics.json").read_text()) for r in res]
        assert [(r["threads"], r["omp"]) for r in recs] == [(want, str(want))] * 2, (workers, threads, recs)
        for r in res: __import__("shutil").rmtree(load_grid(gp).out_path / r["run_id"])


NOT_COMPARED = ("timing", "device", "git_commit", "versions", "package_version")
PER_EPOCH_TIMES = ("seconds", "eval_seconds", "train_examples_per_s")


def comparable(rec: dict) -> dict:
    "A record without what depends on when, where and how fast it ran (timing, device, git, versions, out_dir)."
    rec = {k: v for k, v in rec.items() if k not in NOT_COMPARED}
    rec["params"] = {k: v for k, v in rec["params"].items() if k != "out_dir"}
    rec["history"] = [{k: v for k, v in h.items() if k not in PER_EPOCH_TIMES} for h in rec["history"]]
    return rec


@pytest.mark.usefixtures("rt_dir")
def test_records_do_not_depend_on_the_launcher(tmp_path):
    "The same SMOKE grid of real runs, sequentially, with 2 workers and as submitit jobs: the same records."
    grid = yaml.safe_load((ROOT / "grids" / "smoke.yaml").read_text())
    grid["base"].update(SMOKE)
    recs = {}
    arms = {"sequential": dict(workers=1), "workers2": dict(workers=2),
            "submitit": dict(workers=2, launcher="submitit", submitit={"cluster": "local", "time_min": 10})}
    for arm, kw in arms.items():
        g = dict(grid, name=arm, out_root=str(tmp_path / arm))
        gp = tmp_path / f"{arm}.yaml"
        gp.write_text(yaml.safe_dump(g))
        res = run_grid(gp, root=ROOT, progress=False, threads=1, **kw)   # one thread per run everywhere
        assert [r["status"] for r in res] == ["done", "done"], (arm, res)
        recs[arm] = {r["run_id"]: json.loads((tmp_path / arm / r["run_id"] / "metrics.json").read_text())
                     for r in res}
    ref = {k: comparable(v) for k, v in recs["sequential"].items()}
    assert all(r["status"] == "complete" for r in ref.values())
    for arm in ("workers2", "submitit"):
        assert {k: comparable(v) for k, v in recs[arm].items()} == ref, f"{arm} records differ from the sequential ones"


def test_cli_options():
    assert main([str(ROOT / "grids" / "smoke.yaml"), "--dry-run", "--workers", "2"]) == 0
    assert main([str(ROOT / "grids" / "smoke.yaml"), "--cluster", "local"]) == 2          # needs --launcher submitit
    with pytest.raises(SystemExit):
        main([str(ROOT / "grids" / "smoke.yaml"), "--launcher", "slurmx"])
