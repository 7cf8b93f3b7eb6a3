"""`TrainConfig` is the one home of the run defaults: the parameters cell of nbs/train.ipynb must hold exactly its
fields with the same default values, and the names the sweep and the report use must derive from it."""
import ast, json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def parameters_cell(nb_path):
    "name -> literal value of each assignment in the cell tagged `parameters`, in order."
    nb = json.loads(Path(nb_path).read_text(encoding="utf-8"))
    cells = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1, f"{nb_path} must have exactly one cell tagged 'parameters', has {len(cells)}"
    src = "".join(cells[0]["source"])
    out = {}
    for node in ast.parse(src).body:
        assert isinstance(node, ast.Assign) and len(node.targets) == 1, f"not a plain assignment: {ast.unparse(node)}"
        out[node.targets[0].id] = ast.literal_eval(node.value)
    return out


def test_train_notebook_parameters_equal_trainconfig():
    from embeddings_mixup.config import TrainConfig
    got, want = parameters_cell(ROOT / "nbs" / "train.ipynb"), TrainConfig.defaults()
    assert sorted(got) == sorted(want), \
        f"only in train.ipynb: {set(got) - set(want)}; only in TrainConfig: {set(want) - set(got)}"
    diff = {k: (got[k], want[k]) for k in want if got[k] != want[k] or type(got[k]) is not type(want[k])}
    assert not diff, f"defaults differ (train.ipynb, TrainConfig): {diff}"


def test_defaults_have_one_home():
    from embeddings_mixup import report, sweep, runs
    from embeddings_mixup.config import TrainConfig
    assert runs.run_defaults() == TrainConfig.defaults()
    assert not hasattr(report, "TRAIN_DEFAULTS") and not hasattr(sweep, "NOT_COMPARED")
    assert not hasattr(report, "fake_run") and not hasattr(report, "fake_record")
    src = (ROOT / "embeddings_mixup" / "sweep.py").read_text()
    assert "from .report" not in src and "import report" not in src, "sweep must not import report"

