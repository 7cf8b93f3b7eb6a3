"Datasets as people bring them (issue 14): every line read or named, any column names, pairs, missing splits carved."
import json
import random
from unittest import mock

import pytest
from datasets import ClassLabel, Dataset, DatasetDict, Features, Value

from conftest import DATA
from embeddings_mixup.batching import batches, collator_for, load_tokenizer, tokenize
from embeddings_mixup.config import DataError
from embeddings_mixup.data import CARVE_RULE, SPLITS, load_data
from embeddings_mixup.tables import read_table


def write(folder, name, text, encoding="utf-8"):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(text.encode(encoding))
    return folder / name


def sizes(dd): return {s: len(dd[s]) for s in SPLITS}


# --- reading: every line is an example or an error naming it ---------------------------------------------------

def test_tsv_with_stray_quotes_reads_every_row(tmp_path):
    # MRPC's own file format: BOM-less header with '#1 String', texts with unbalanced quotes
    rng = random.Random(0)
    bits = ['He said "no', 'a "quoted" word', '"leading quote', 'trailing"', 'plain text', "it's 5' 10\""]
    rows = [(i % 2, f"{rng.choice(bits)} {i}", f"{rng.choice(bits)} {i}b") for i in range(300)]
    body = "".join(f"{q}\t{i}\t{i+1000}\t{a}\t{b}\n" for i, (q, a, b) in enumerate(rows))
    f = write(tmp_path / "d", "train.tsv", "Quality\t#1 ID\t#2 ID\t#1 String\t#2 String\n" + body)
    t = read_table(f)
    assert len(t) == 300 and t.lines == list(range(2, 302))
    assert [(int(r["Quality"]), r["#1 String"], r["#2 String"]) for r in t.rows] == rows   # not a character lost
    dd = load_data(tmp_path / "d")                                                          # pairs detected, carved
    assert sum(sizes(dd).values()) == 300 and dd["train"].column_names == ["text", "text_pair", "label"]
    assert dd.notes["columns"] == {"text": "#1 String", "text_pair": "#2 String", "label": "Quality"}


def test_consistently_quoted_tsv_reads_quotes_as_syntax(tmp_path):
    f = write(tmp_path, "a.tsv", '"text"\t"label"\n"say ""hi""\tnow"\t"1"\n"b"\t"0"\n')
    assert read_table(f).rows == [{"text": 'say "hi"\tnow', "label": "1"}, {"text": "b", "label": "0"}]


@pytest.mark.parametrize("name,text,message", [
    ("a.tsv", "text\tlabel\ngood\t1\nbad\t0\textra\n", "a.tsv line 3: 3 field(s), but the header has 2"),
    ("b.csv", "text,label\ngood,1\n\"never closed,0\nok,1\n", "b.csv: the record starting at line 3 is not valid CSV"),
    ("c.csv", "text,label\ngood,1\n\nbad,0\n", "c.csv line 3: a blank line between rows"),
    ("d.jsonl", '{"text": "a", "label": 1}\n{"text": "b" "label": 0}\n', "d.jsonl line 2: not valid JSON"),
    ("e.jsonl", '{"text": "a", "label": 1}\n["b", 0]\n', "e.jsonl line 2: a JSON list, not an object"),
    ("f.csv", "text,text\na,1\n", "the header names column(s) ['text'] more than once"),
    ("g.csv", "", "g.csv is empty"),
])
def test_lines_that_are_not_rows_are_errors_naming_the_line(tmp_path, name, text, message):
    with pytest.raises(DataError) as e:
        read_table(write(tmp_path, name, text))
    assert message in str(e.value)


@pytest.mark.parametrize("text,message", [
    ("text,label\ngood,1\n  ,0\n", "train.csv line 3: empty text (column 'text')"),
    ("text,label\ngood,1\nbad,\n", "train.csv line 3: no label (column 'label')"),
])
def test_empty_fields_are_errors_naming_the_line(tmp_path, text, message):
    write(tmp_path / "d", "train.csv", text)
    with pytest.raises(DataError) as e:
        load_data(tmp_path / "d")
    assert message in str(e.value)


def test_jsonl_missing_field_names_the_line(tmp_path):
    write(tmp_path / "d", "train.jsonl", '{"text": "a", "label": 1}\n{"label": 0}\n{"text": "c", "label": 0}\n')
    with pytest.raises(DataError, match=r"train.jsonl line 2: no field 'text'"):
        load_data(tmp_path / "d")


def test_byte_order_mark_is_stripped(tmp_path):
    d = tmp_path / "d"
    write(d, "train.csv", "\ufeffQuality,review\n" + "".join(f"r{i},{i % 2}\n".replace(f"r{i},{i % 2}", f"{i % 2},r{i}")
                                                                for i in range(20)))
    dd = load_data(d, label_column="Quality")
    assert dd.notes["columns"]["label"] == "Quality" and sum(sizes(dd).values()) == 20


def test_latin1_needs_the_encoding_and_then_reads(tmp_path):
    d = tmp_path / "d"
    write(d, "train.csv", "text,label\n" + "".join(f"café {i},{i % 2}\n" for i in range(20)), "latin-1")
    with pytest.raises(DataError) as e:
        load_data(d)
    assert "not valid utf-8" in str(e.value) and "-p encoding latin-1" in str(e.value)
    dd = load_data(d, encoding="latin-1")
    assert all(t.startswith("café ") for s in SPLITS for t in dd[s]["text"])


# --- columns ------------------------------------------------------------------------------------------------------

def test_renamed_columns_detected_or_given(tmp_path):
    d = tmp_path / "d"
    rows = "".join(f"film {i},{'pos' if i % 2 else 'neg'},{i // 20}\n" for i in range(40))
    write(d, "train.csv", "review,sentiment,stars\n" + rows); write(d, "test.csv", "review,sentiment,stars\nok,pos,1\n")
    dd = load_data(d)
    assert dd.notes["columns"] == {"text": "review", "text_pair": None, "label": "sentiment"}
    assert dd["train"].features["label"].names == ["neg", "pos"]
    dd = load_data(d, text_column="review", label_column="stars")       # -p text_column review -p label_column stars
    assert dd.notes["columns"]["label"] == "stars" and sum(dd["validation"]["label"]) == 2
    with pytest.raises(DataError, match="left the validation split empty"):
        load_data(d, validation_frac=0.01)


def test_ambiguous_columns_list_the_columns_and_the_parameter(tmp_path):
    write(tmp_path / "d", "train.csv", "text,review,label\na,b,1\nc,d,0\n")
    with pytest.raises(DataError) as e:
        load_data(tmp_path / "d")
    msg = str(e.value)
    assert "ambiguous text column: ['text', 'review']" in msg
    assert "The file's columns are ['text', 'review', 'label']" in msg and "-p text_column <column>" in msg
    assert "text_column=" not in msg                                     # only remedies the main command accepts
    with pytest.raises(DataError, match=r"no column 'words' \(from label_column\).*-p label_column"):
        load_data(tmp_path / "d", text_column="text", label_column="words")


def test_pairs_from_given_columns(tmp_path):
    d = tmp_path / "d"
    write(d, "train.csv", "first,second,y\n" + "".join(f"a{i},b{i},{i % 2}\n" for i in range(30)))
    dd = load_data(d, text_column="first", text_pair_column="second")
    assert dd["train"].column_names == ["text", "text_pair", "label"]
    assert dd.notes["columns"] == {"text": "first", "text_pair": "second", "label": "y"}


# --- missing splits ---------------------------------------------------------------------------------------------

def test_missing_validation_is_carved_from_train_and_recorded(tmp_path, capsys):
    d = tmp_path / "d"
    train = "".join(f"s{i},{int(i % 5 == 0)}\n" for i in range(100))     # 20 positives, 80 negatives
    write(d, "train.csv", "text,label\n" + train); write(d, "test.csv", "text,label\nt0,0\nt1,1\n")
    dd = load_data(d, validation_frac=0.1, split_seed=0)
    assert sizes(dd) == {"train": 90, "validation": 10, "test": 2}
    assert sum(dd["validation"]["label"]) == 2                            # stratified: 10% of each class
    assert list(dd["test"]["text"]) == ["t0", "t1"]                      # test untouched
    assert not set(dd["validation"]["text"]) & set(dd["train"]["text"])
    note = dd.notes["carved"]
    assert note == [{"split": "validation", "from": "train", "size": 10, "validation_frac": 0.1, "split_seed": 0,
                     "train_size_before": 100, "rule": CARVE_RULE}]
    json.dumps(dd.notes)
    out = capsys.readouterr().out
    assert "90 train, 10 validation, 2 test examples" in out and "validation carved from train: 10 of 100" in out
    again = load_data(d, validation_frac=0.1, split_seed=0)
    assert list(again["validation"]["text"]) == list(dd["validation"]["text"])
    other = load_data(d, validation_frac=0.1, split_seed=1)
    assert list(other["validation"]["text"]) != list(dd["validation"]["text"])


def test_train_only_folder_gets_validation_and_test(tmp_path):
    write(tmp_path / "d", "train.jsonl", "".join(json.dumps({"text": f"x{i}", "label": i % 2}) + "\n" for i in range(60)))
    dd = load_data(tmp_path / "d")
    assert sizes(dd) == {"train": 48, "validation": 6, "test": 6}
    assert [c["split"] for c in dd.notes["carved"]] == ["validation", "test"]


def test_hub_dataset_without_validation_is_carved_offline():
    feats = Features({"text": Value("string"), "coarse_label": ClassLabel(names=["a", "b", "c"])})
    fake = DatasetDict({"train": Dataset.from_dict({"text": [f"q{i}" for i in range(90)], "coarse_label": [i % 3 for i in range(90)]}, features=feats),
                        "test": Dataset.from_dict({"text": ["t0", "t1", "t2"], "coarse_label": [0, 1, 2]}, features=feats)})
    with mock.patch("datasets.load_dataset", lambda hub_id: fake) as _:
        dd = load_data("someone/trec-like", label_column="coarse_label")
    assert sizes(dd) == {"train": 81, "validation": 9, "test": 3}
    assert list(dd["test"]["text"]) == ["t0", "t1", "t2"]
    assert dd["train"].features["label"].names == ["a", "b", "c"]
    assert dd.notes["format"] == "hub" and dd.notes["carved"][0]["size"] == 9


# --- sentence pairs: MRPC -----------------------------------------------------------------------------------------

def test_mrpc_pairs_tokenized_with_segments():
    dd = load_data(DATA / "mrpc")
    assert sizes(dd) == {"train": 3668, "validation": 408, "test": 1725}
    assert dd.notes["carved"] == [] and dd.notes["columns"]["text_pair"] == "sentence2"
    tok = load_tokenizer()
    small = DatasetDict({"train": dd["train"].select(range(64))})
    enc = tokenize(small, tok, max_len=32)["train"]
    for ids, tt in zip(enc["input_ids"], enc["token_type_ids"]):
        assert len(ids) <= 32 and ids.count(tok.sep_token_id) == 2 and 0 in tt and 1 in tt
    _, b = next(batches(enc, 16, collator_for(tok)))
    assert b["token_type_ids"].shape == b["input_ids"].shape
    assert (b["token_type_ids"] * (1 - b["attention_mask"])).sum() == 0      # padding is segment 0
    assert b["token_type_ids"].sum() > 0


def test_unlabelled_test_file_is_replaced_by_a_carved_one(tmp_path, capsys):
    # GLUE's test files carry label -1: they cannot score anything, and are said to be replaced
    d = tmp_path / "d"
    write(d, "train.csv", "sentence1,sentence2,label\n" + "".join(f"a{i},b{i},{i % 2}\n" for i in range(40)))
    write(d, "validation.csv", "sentence1,sentence2,label\nx,y,0\nz,w,1\n")
    write(d, "test.csv", "sentence1,sentence2,label\n" + "".join(f"t{i},u{i},-1\n" for i in range(10)))
    dd = load_data(d)
    assert sizes(dd) == {"train": 36, "validation": 2, "test": 4}
    assert dd.notes["unlabelled_splits_replaced"] == ["test"] and [c["split"] for c in dd.notes["carved"]] == ["test"]
    assert "test split had no labels (all -1): replaced by one carved from train" in capsys.readouterr().out


# --- integer labels other than 0..C-1 (issue 25): classes in sorted order, named by their values ------------------

def _stars(n=60): return "".join(f"review number {i},{1 + i % 5}\n" for i in range(n))


def test_star_ratings_load_as_five_classes_named_by_their_values(tmp_path, capsys):
    f = write(tmp_path, "stars.csv", "review,stars\n" + _stars())
    dd = load_data(f, label_column="stars")
    assert dd["train"].features["label"].names == ["1", "2", "3", "4", "5"]
    assert sorted(set(dd["train"]["label"])) == [0, 1, 2, 3, 4]
    assert dd["train"][0]["label"] == int(dd["train"][0]["text"].split()[-1]) % 5     # stars 1..5 -> 0..4
    assert dd.notes["label_map"] == {"1": 0, "2": 1, "3": 2, "4": 3, "5": 4}
    assert "labels 1, 2, 3, 4, 5 -> classes 0..4" in capsys.readouterr().out
    json.dumps(dd.notes)
    d = tmp_path / "folder"                                     # a folder with train and test files: the same classes
    write(d, "train.csv", "review,stars\n" + _stars()); write(d, "test.csv", "review,stars\ngreat,5\nawful,1\n")
    dd = load_data(d, label_column="stars")
    assert dd["test"].features["label"].names == ["1", "2", "3", "4", "5"]
    assert list(dd["test"]["label"]) == [4, 0]
    write(d, "test.csv", "review,stars\ngreat,5\nbeyond,6\n")  # a test label the training split lacks: its line
    with pytest.raises(DataError,
                       match=r"the test split has label\(s\) \[6\] outside \[1, 2, 3, 4, 5\].*test.csv line 3"):
        load_data(d, label_column="stars")


@pytest.mark.parametrize("labels,names", [((-1, 1), ["-1", "1"]), ((2, 4), ["2", "4"]), ((0, 1), ["0", "1"])])
def test_other_integer_labels_are_classes_too(tmp_path, labels, names):
    body = "".join(f"t{i},{labels[i % 2]}\n" for i in range(40))
    d = tmp_path / "d"; write(d, "train.csv", "text,label\n" + body)
    write(d, "test.csv", "text,label\n" + "".join(f"u{i},{labels[i % 2]}\n" for i in range(4)))
    dd = load_data(d)
    assert dd["train"].features["label"].names == names and list(dd["test"]["label"]) == [0, 1, 0, 1]
    assert ("label_map" in dd.notes) == (labels != (0, 1))                       # 0/1 stays as it always was
    assert "unlabelled_splits_replaced" not in dd.notes                          # a test of -1s is not 'hidden' here


def test_star_ratings_train_end_to_end_as_five_classes(tmp_path):
    from embeddings_mixup.train import train
    f = write(tmp_path, "stars.csv", "review,stars\n" + _stars(200))
    rec = train(dict(data=str(f), label_column="stars", out_dir=str(tmp_path / "run"), limit=16, eval_limit=8,
                     epochs=1, batch_size=16, max_len=16, save_model=False), progress=False)
    assert rec["status"] == "complete"
    assert rec["data"]["num_classes"] == 5 and rec["data"]["label_names"] == ["1", "2", "3", "4", "5"]
    assert rec["data"]["notes"]["label_map"] == {"1": 0, "2": 1, "3": 2, "4": 3, "5": 4}


# --- columns: a second text column is named, in errors and in notes ------------------------------------------------

def test_undetected_pair_columns_error_names_the_pair_parameter(tmp_path):
    d = tmp_path / "d"
    write(d, "train.csv", "first,second,label\n" + "".join(f"a{i},b{i},{i % 2}\n" for i in range(30)))
    with pytest.raises(DataError) as e:
        load_data(d)
    msg = str(e.value)
    assert "The file's columns are ['first', 'second', 'label']. 2 columns hold text ('first', 'second')" in msg
    assert "To train on pairs of texts: -p text_column first -p text_pair_column second" in msg
    assert "to train on one text: -p text_column <column>" in msg


def test_an_unused_text_column_gets_a_note_and_is_recorded(tmp_path, capsys):
    d = tmp_path / "d"
    write(d, "train.csv", "id,first,second,label\n" + "".join(f"{i},a{i},b{i},{i % 2}\n" for i in range(30)))
    dd = load_data(d, text_column="first")                                    # not an error: extra columns are ordinary
    assert dd["train"].column_names == ["text", "label"]
    assert dd.notes["columns"] == {"text": "first", "text_pair": None, "label": "label"}
    assert dd.notes["unused_columns"] == {"id": "number", "second": "text"}
    out = capsys.readouterr().out
    assert "columns used: text='first', label='label'; not used: 'id' (number), 'second' (text)" in out
    assert ("note: 'second' also holds text and is not used; to train on pairs of texts: -p text_pair_column second"
            in out)
    dd = load_data(d, text_column="first", text_pair_column="second")          # on pairs: no note
    assert dd.notes["unused_columns"] == {"id": "number"} and "note:" not in capsys.readouterr().out
