"End-to-end: a folder with only train and test, under its own column names, through nbs/train.ipynb with papermill."
import csv, json

from conftest import RT, SMOKE, run_train_nb


def _write(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f); w.writerow(["review", "sentiment"]); w.writerows(rows)


def test_train_and_test_only_with_renamed_columns(tmp_path):
    pos = (RT / "rt-polarity.pos").read_text(encoding="latin-1").splitlines()
    neg = (RT / "rt-polarity.neg").read_text(encoding="latin-1").splitlines()
    rows = [(t.strip(), "positive") for t in pos[:120]] + [(t.strip(), "negative") for t in neg[:120]]
    data = tmp_path / "reviews"; data.mkdir()
    _write(data / "train.csv", rows[:100] + rows[120:220])
    _write(data / "test.csv", rows[100:120] + rows[220:])
    out = tmp_path / "run"
    run_train_nb(out, data=str(data), text_column="review", label_column="sentiment", validation_frac=0.2,
                 site="embed", seed=1, **{**SMOKE, "limit": None, "eval_limit": None})
    rec = json.loads((out / "metrics.json").read_text())
    assert rec["status"] == "complete"
    assert rec["data"]["label_names"] == ["negative", "positive"]
    assert rec["data"]["full_split_sizes"] == {"train": 160, "validation": 40, "test": 40}   # 20% of 200 carved
    notes = rec["data"]["notes"]
    assert notes["columns"] == {"text": "review", "text_pair": None, "label": "sentiment"}
    (carved,) = notes["carved"]
    assert carved["split"] == "validation" and carved["from"] == "train" and carved["size"] == 40
    assert carved["validation_frac"] == 0.2 and "stratified" in carved["rule"]
