import pytest

from xlt.metrics import accuracy, entity_f1, evaluate


def test_accuracy():
    assert accuracy([1, 0, 1, 1], [1, 1, 1, 0]) == 0.5
    assert accuracy(["pos", "neg"], ["pos", "neg"]) == 1.0
    with pytest.raises(ValueError):
        accuracy([1], [1, 0])
    with pytest.raises(ValueError):
        accuracy([], [])


def test_entity_f1_counts_exact_entities():
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O", "B-MISC"]]
    pred = [["B-PER", "I-PER", "O", "O"], ["B-ORG", "O", "B-PER"]]
    s = entity_f1(pred, gold)
    # gold 4 entities, predicted 3, correct 2
    assert s["precision"] == pytest.approx(2 / 3)
    assert s["recall"] == pytest.approx(2 / 4)
    assert s["f1"] == pytest.approx(2 * (2 / 3) * 0.5 / (2 / 3 + 0.5))
    assert s["per_type"]["LOC"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert s["per_type"]["PER"]["precision"] == 0.5
    assert s["per_type"]["ORG"]["f1"] == 1.0


def test_entity_f1_wrong_boundary_is_wrong():
    gold = [["B-PER", "I-PER", "O"]]
    pred = [["B-PER", "O", "O"]]
    assert entity_f1(pred, gold)["f1"] == 0.0


def test_iob1_is_read_like_conlleval():
    # IOB1 (CoNLL-2003): an entity may start with I-; B- only separates adjacent same-type entities
    gold = [["I-PER", "I-PER", "O", "I-LOC", "B-LOC"]]
    pred = [["B-PER", "I-PER", "O", "B-LOC", "B-LOC"]]
    assert entity_f1(pred, gold)["f1"] == 1.0


def test_entity_f1_rejects_missing_predictions():
    with pytest.raises(ValueError):
        entity_f1([["O"]], [["O", "O"]])
    with pytest.raises(ValueError):
        entity_f1([["O", None]], [["O", "O"]])


def test_evaluate_by_task():
    cls = evaluate("sequence", [1, 0, 0], [1, 0, 1])
    assert cls["metric"] == "accuracy" and cls["score"] == pytest.approx(2 / 3) and cls["n"] == 3
    ner = evaluate("token", [["B-PER"], ["O"]], [["B-PER"], ["B-LOC"]])
    assert ner["metric"] == "f1" and ner["n"] == 2
    assert ner["score"] == pytest.approx(2 / 3) and ner["precision"] == 1.0
    with pytest.raises(ValueError):
        evaluate("pos", [], [])
