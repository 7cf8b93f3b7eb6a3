"Shared set-up of the slow tests: offline Hugging Face libraries, local data, small slices."
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Set before any Hugging Face import: no test may reach the network.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("WANDB_MODE", "disabled")
os.environ.setdefault("EMBEDDINGS_MIXUP_DATA", str((ROOT.parent / "shared" / "data").resolve()))

import contextlib
import pytest


@contextlib.contextmanager
def torch_threads(n: int):
    "torch uses `n` threads inside the block (the order of float sums, and speed on a shared machine, depend on it)."
    import torch
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try: yield
    finally: torch.set_num_threads(before)

DATA = Path(os.environ["EMBEDDINGS_MIXUP_DATA"])
RT = DATA / "rt-polaritydata"
SST2 = DATA / "sst2"
TRAIN_NB = ROOT / "nbs" / "train.ipynb"
# a small slice of real data with the real (bundled) model: seconds per run
SMOKE = dict(limit=32, eval_limit=32, epochs=1, batch_size=16, max_len=32, save_model=False)


@pytest.fixture(scope="session")
def rt_dir():
    if not RT.is_dir(): pytest.fail(f"{RT} not found: set EMBEDDINGS_MIXUP_DATA to the folder holding rt-polaritydata/ and sst2/")
    return RT


def run_train_nb(out_dir: Path, **params):
    "Execute nbs/train.ipynb with papermill into out_dir/train.ipynb; returns the executed notebook."
    import papermill as pm
    out_dir.mkdir(parents=True, exist_ok=True)
    return pm.execute_notebook(str(TRAIN_NB), str(out_dir / "train.ipynb"), parameters={"out_dir": str(out_dir), **params},
                               cwd=str(ROOT), progress_bar=False, kernel_name="python3")
