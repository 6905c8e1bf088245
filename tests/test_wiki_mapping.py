"""English entity -> English title -> target title with every offline backend, on invented and real files."""

from __future__ import annotations

import bz2
import gzip
import json
import re
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from xlt.errors import UserError
from xlt.wiki.entities import Entity
from xlt.wiki.mapping import (
    TitleRow,
    english_candidates,
    fold_title,
    map_entities,
    mapping_resources,
    normalize_title,
    read_langlinks_sql,
    read_page_sql,
    read_target_titles,
    read_titles_tsv,
    read_wikidata_sitelinks,
    scan_english_dump,
    write_titles_tsv,
)

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
WIKI = DATA / "wikipedia"


def dump_xml(pages) -> str:
    """An invented English ``pages-articles`` export: ``(title, id, text, redirect)``."""
    out = ['<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/" version="0.10">', "<siteinfo/>"]
    for title, pid, text, redirect in pages:
        red = f'<redirect title="{escape(redirect)}" />' if redirect else ""
        out.append(
            f"<page><title>{escape(title)}</title><ns>0</ns><id>{pid}</id>{red}"
            f'<revision><id>1</id><text xml:space="preserve">{escape(text)}</text></revision></page>'
        )
    return "\n".join(out + ["</mediawiki>"])


ENGLISH = [
    ("Lindenfeld", 5, "Lindenfeld is a town.", None),
    ("Lindenfeld City", 6, "#REDIRECT [[Lindenfeld]]", "Lindenfeld"),
    ("North Harbour", 7, "North Harbour is a port.\n[[de:Nordhafen]]\n[[es:Puerto Norte]]", None),
    ("Old Name", 8, "#REDIRECT [[Lindenfeld]]", "Lindenfeld"),
    ("Ostwerk", 9, "Ostwerk is a company.", None),
]

LANGLINKS_SQL = """-- MySQL dump (invented rows)
CREATE TABLE `langlinks` (
  `ll_from` int(10) unsigned NOT NULL DEFAULT '0',
  `ll_lang` varbinary(20) NOT NULL DEFAULT '',
  `ll_title` varbinary(255) NOT NULL DEFAULT ''
);
INSERT INTO `langlinks` VALUES (5,'de','Lindenfeld (Stadt)'),(5,'es','Lindenfeld'),(7,'de','Nordhafen'),(9,'de','Ost\\'werk \\\\ GmbH'),(9,'fr','Ostwerk');
INSERT INTO `langlinks` VALUES (12,'de','Anderswo'),(13,'dea','Nicht Deutsch');
"""

PAGE_SQL = """CREATE TABLE `page` (`page_id` int, `page_namespace` int, `page_title` varbinary(255));
INSERT INTO `page` VALUES (5,0,'Lindenfeld','',0,0,0.5,'20200101000000',1,100),(6,0,'Lindenfeld_City','',1,0,0.1,'20200101000000',2,30),(7,0,'North_Harbour','',0,0,0.3,'20200101000000',3,50),(9,0,'Ostwerk','',0,0,0.2,'20200101000000',4,60),(12,1,'Lindenfeld','',0,0,0.9,'20200101000000',5,10);
"""


@pytest.fixture
def files(tmp_path):
    en = tmp_path / "enwiki.xml.bz2"
    en.write_bytes(bz2.compress(dump_xml(ENGLISH).encode()))
    ll = tmp_path / "enwiki-langlinks.sql.gz"
    ll.write_bytes(gzip.compress(LANGLINKS_SQL.encode()))
    page = tmp_path / "enwiki-page.sql"
    page.write_text(PAGE_SQL, encoding="utf-8")
    return {"english_dump": str(en), "langlinks_sql": str(ll), "page_sql": str(page)}


ENTITIES = [
    Entity("Old Name", "LOC", 9),  # redirect Old Name -> Lindenfeld
    Entity("NORTH HARBOUR", "LOC", 4),  # headline capitals
    Entity("Ostwerk", "ORG", 3),
    Entity("Nowhere", "PER", 1),
]


def test_titles_are_normalised_like_mediawiki():
    assert normalize_title("north_harbour#History") == "North harbour"
    assert normalize_title("  new   York ") == "New York"
    assert normalize_title("Ren &amp; Stimpy") == "Ren & Stimpy"
    assert fold_title("Berlín") == fold_title("berlin") == "berlin"
    assert english_candidates("GERMANY") == ["GERMANY", "Germany"]
    assert english_candidates("IBM") == ["IBM"] and english_candidates("iPod") == ["IPod"]


def test_langlinks_chain_with_the_page_table(files):
    wiki = {"mapping": "langlinks", **files}
    rows, stats = map_entities(ENTITIES, "de", wiki)
    assert rows == [
        TitleRow("Old Name", "LOC", 9, "Lindenfeld", "Lindenfeld (Stadt)"),
        TitleRow("NORTH HARBOUR", "LOC", 4, "North Harbour", "Nordhafen"),
        TitleRow("Ostwerk", "ORG", 3, "Ostwerk", "Ost'werk \\ GmbH"),
    ]
    assert stats["mapped"] == 3 and stats["unmapped"] == 1 and stats["redirects_followed"] >= 1
    assert stats["mapped_LOC"] == 2 and stats["mapped_ORG"] == 1


def test_langlinks_chain_with_ids_from_the_english_dump(files):
    wiki = {"mapping": "langlinks", "english_dump": files["english_dump"], "langlinks_sql": files["langlinks_sql"]}
    rows, _ = map_entities(ENTITIES, "es", wiki)
    assert [(r.surface, r.en_title, r.target_title) for r in rows] == [("Old Name", "Lindenfeld", "Lindenfeld")]


def test_sql_readers_unescape_and_filter(files):
    assert read_langlinks_sql(files["langlinks_sql"], "de") == {
        5: "Lindenfeld (Stadt)",
        7: "Nordhafen",
        9: "Ost'werk \\ GmbH",
        12: "Anderswo",
    }
    assert read_page_sql(files["page_sql"]) == {5: "Lindenfeld", 6: "Lindenfeld City", 7: "North Harbour", 9: "Ostwerk"}
    assert read_page_sql(files["page_sql"], keep_ids={7}) == {7: "North Harbour"}
    with pytest.raises(UserError, match=r"enwiki-page.sql: expected a MySQL dump of the `langlinks` table"):
        read_langlinks_sql(files["page_sql"], "de")


def test_inline_links_and_redirects_from_the_english_dump(files):
    scan = scan_english_dump(files["english_dump"], {"Old Name"}, inline_lang="es")
    assert scan.resolve("Old Name") == "Lindenfeld" and scan.inline == {"North Harbour": "Puerto Norte"}
    rows, stats = map_entities(ENTITIES, "de", {"mapping": "inline", "english_dump": files["english_dump"]})
    assert [(r.surface, r.target_title) for r in rows] == [("NORTH HARBOUR", "Nordhafen")]
    assert stats["mapped_by_inline"] == 1


def test_wikidata_answers_and_dump_lines(tmp_path, files):
    answer = tmp_path / "wbgetentities.json"
    answer.write_text(
        json.dumps(
            {
                "entities": {
                    "Q1": {
                        "type": "item",
                        "id": "Q1",
                        "sitelinks": {
                            "enwiki": {"site": "enwiki", "title": "Lindenfeld"},
                            "dewiki": {"site": "dewiki", "title": "Lindenfeld (Stadt)"},
                        },
                    }
                }
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    lines = [
        {
            "type": "item",
            "id": "Q2",
            "sitelinks": {"enwiki": {"title": "North Harbour"}, "dewiki": {"title": "Nordhafen"}},
        },
        {"type": "item", "id": "Q3", "sitelinks": {"enwiki": {"title": "Ostwerk"}}},
        {"type": "property", "id": "P31"},
    ]
    dump = tmp_path / "wikidata-latest-all.json.gz"
    dump.write_bytes(gzip.compress(("[\n" + ",\n".join(json.dumps(x) for x in lines) + "\n]\n").encode()))
    jsonl = tmp_path / "entities.jsonl"
    jsonl.write_text(json.dumps(lines[0]) + "\n", encoding="utf-8")
    assert read_wikidata_sitelinks([answer, dump], "de") == {
        "Lindenfeld": "Lindenfeld (Stadt)",
        "North Harbour": "Nordhafen",
    }
    assert read_wikidata_sitelinks([jsonl], "de") == {"North Harbour": "Nordhafen"}

    wiki = {"mapping": "wikidata", "wikidata_json": [str(answer), str(dump)], "english_dump": files["english_dump"]}
    rows, _ = map_entities(ENTITIES, "de", wiki)
    assert [(r.surface, r.en_title, r.target_title) for r in rows] == [
        ("Old Name", "Lindenfeld", "Lindenfeld (Stadt)"),
        ("NORTH HARBOUR", "North Harbour", "Nordhafen"),
    ]

    bad = tmp_path / "bad.json"
    bad.write_text("[\n" + json.dumps(lines[0]) + ",\n{broken\n]\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"bad.json:3: invalid JSON"):
        read_wikidata_sitelinks([bad], "de")


def test_backends_are_tried_in_order(tmp_path, files):
    target = tmp_path / "dewiki.xml"
    target.write_text(
        dump_xml([("Ostwerk", 1, "Ostwerk ist eine Firma.", None), ("Nowhere", 2, "x", None)]), encoding="utf-8"
    )
    wiki = {"mapping": ["inline", "same_title"], "english_dump": files["english_dump"], "dumps": {"de": [str(target)]}}
    rows, stats = map_entities(ENTITIES, "de", wiki)
    assert [(r.surface, r.target_title) for r in rows] == [
        ("NORTH HARBOUR", "Nordhafen"),
        ("Ostwerk", "Ostwerk"),
        ("Nowhere", "Nowhere"),
    ]
    assert stats["mapped_by_inline"] == 1 and stats["mapped_by_same_title"] == 2


def test_config_errors_name_the_key(files):
    with pytest.raises(UserError, match=r"wikipedia.langlinks_sql: required"):
        mapping_resources({"mapping": "langlinks"})
    with pytest.raises(UserError, match=r"wikipedia.mapping: unknown method 'dbpedia'"):
        mapping_resources({"mapping": ["wikidata", "dbpedia"]})
    with pytest.raises(UserError, match=r"wikipedia.dumps.nl: required"):
        mapping_resources({"mapping": "same_title", "dumps": {"de": ["x"]}}, "nl")
    assert mapping_resources({"mapping": "langlinks", **files}) == [
        files["langlinks_sql"],
        files["page_sql"],
        files["english_dump"],
    ]
    assert mapping_resources({"mapping": "api", "english_dump": None}) == []


def test_titles_tsv_round_trip(tmp_path):
    rows = [TitleRow("Old Name", "LOC", 9, "Lindenfeld", "Lindenfeld (Stadt)")]
    path = tmp_path / "titles.tsv"
    write_titles_tsv(path, rows)
    assert read_titles_tsv(path) == rows
    with pytest.raises(UserError, match="titles.tsv:1: expected 5 tab-separated fields"):
        path.write_text("Bonn\tLOC\n", encoding="utf-8")
        read_titles_tsv(path)


# ----------------------------------------------------------------------------------------------
# Real files


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"real data not found at {path}")
    return path


def test_real_langlinks_dump_parses_every_row_of_a_language():
    path = need(WIKI / "citolytics" / "langlinks.sql.gz")
    text = gzip.decompress(path.read_bytes()).decode("utf-8")
    for lang in ("de", "es", "ast"):
        expected_ids = set(int(m) for m in re.findall(r"\((\d+),'" + lang + "','", text))
        links = read_langlinks_sql(path, lang)
        assert set(links) == expected_ids and len(links) > 100
    assert any("'" in title for title in read_langlinks_sql(path, "ast").values())  # \' unescaped
    assert not any("\\" in title for title in read_langlinks_sql(path, "ast").values())


def test_real_wikidata_answers():
    files = sorted(need(WIKI / "wikidata-toolkit").glob("*.json"))
    de = read_wikidata_sitelinks(files, "de")
    assert set(de) == {"Universe", "Douglas Adams", "Oliver Kahn"} and de["Universe"] == "Universum"
    assert read_wikidata_sitelinks(files, "es")["Universe"] == "Universo"


def test_real_inline_links_and_redirects_of_the_2006_export():
    path = need(WIKI / "citolytics" / "wiki2006.xml")
    entities = [Entity("Abu Dhabi", "LOC", 3), Entity("AmericanSamoa", "LOC", 1), Entity("Anarchism", "MISC", 1)]
    de, _ = map_entities(entities, "de", {"mapping": "inline", "english_dump": str(path)})
    es, _ = map_entities(entities, "es", {"mapping": "inline", "english_dump": str(path)})
    assert {(r.surface, r.target_title) for r in de} == {("Abu Dhabi", "Abu Dhabi"), ("Anarchism", "Anarchismus")}
    assert ("Anarchism", "Anarquismo") in {(r.surface, r.target_title) for r in es}
    assert scan_english_dump(path, {"AmericanSamoa"}).resolve("AmericanSamoa") == "American Samoa"


def test_real_target_titles_fold_accents():
    titles = read_target_titles([need(WIKI / "dumps" / "es" / "wiki.xml.bz2")])
    assert titles[fold_title("Berlin")] == "Berlín"


@pytest.fixture(scope="module")
def conll_entities():
    from xlt.data.conll import read_conll
    from xlt.wiki.entities import extract_entities

    records, _ = read_conll(need(DATA / "conll2003" / "eng" / "eng.train"))
    return extract_entities(records)


@pytest.mark.parametrize("lang,berlin", [("de", "Berlin"), ("es", "Berlín")])
def test_real_chain_from_conll_entities_to_target_sentences(conll_entities, lang, berlin, tmp_path):
    from xlt.wiki.harvest import harvest_sentences

    wiki = {
        "mapping": ["wikidata", "inline", "same_title"],
        "english_dump": str(need(WIKI / "dumps" / "en" / "wiki.xml.bz2")),
        "wikidata_json": [str(p) for p in sorted((WIKI / "wikidata-toolkit").glob("*.json"))],
        "dumps": {lang: [str(WIKI / "dumps" / lang / "wiki.xml.bz2")]},
    }
    rows, stats = map_entities(conll_entities, lang, wiki)
    mapped = {(r.surface, r.type): (r.en_title, r.target_title) for r in rows}
    assert mapped[("Berlin", "LOC")] == ("Berlin", berlin)
    assert mapped[("BERLIN", "LOC")] == ("Berlin", berlin)
    assert mapped[("Oliver Kahn", "PER")] == ("Oliver Kahn", "Oliver Kahn")
    assert stats["entities"] == len(conll_entities) and stats["mapped_by_wikidata"] >= 1

    result = harvest_sentences(wiki["dumps"][lang], rows, lang, max_sentences=60000, per_entity_cap=40, seed=3)
    assert 20 <= len(result.records) <= 40
    word = re.compile(r"(?<!\w)(?:Berlin|" + berlin + r")(?!\w)")  # target title or English surface
    for rec in result.records:
        assert rec["entity"] == berlin and word.search(rec["text"]) and rec["tokens"]
        assert 5 <= len(rec["tokens"]) <= 120
    assert result.per_type["LOC"]["sentences_kept"] == len(result.records)


def test_target_titles_prefer_articles_and_drop_ambiguous_folds(tmp_path):
    dump = tmp_path / "target.xml"
    dump.write_text(
        dump_xml(
            [
                ("Bremen", 1, "Stadt.", None),
                ("Brémen", 2, "#REDIRECT [[Bremen]]", "Bremen"),
                ("Lindenfeld", 3, "Ort.", None),
                ("Lindenféld", 4, "Anderer Ort.", None),
                ("Nordhafen (Stadt)", 5, "Hafen.", None),
                ("Nordhafen", 6, "#REDIRECT [[Nordhafen (Stadt)]]", "Nordhafen (Stadt)"),
            ]
        ),
        encoding="utf-8",
    )
    titles = read_target_titles([dump])
    assert titles["bremen"] == "Bremen" and "lindenfeld" not in titles
    assert titles["nordhafen"] == "Nordhafen (Stadt)"


def test_cut_off_and_corrupt_sql_dumps(tmp_path, caplog):
    import gzip as _gzip

    from xlt.errors import UserError
    from xlt.wiki.mapping import read_langlinks_sql

    rows = ",".join(f"({i},'de','Titel {i}')" for i in range(1, 2001))
    data = _gzip.compress(f"CREATE TABLE `langlinks` (\n);\nINSERT INTO `langlinks` VALUES {rows};\n".encode() * 3)
    whole = tmp_path / "whole.sql.gz"
    whole.write_bytes(data)
    assert len(read_langlinks_sql(whole, "de")) == 2000
    cut = tmp_path / "cut.sql.gz"
    cut.write_bytes(data[: len(data) * 2 // 3])
    with caplog.at_level("WARNING"):
        links = read_langlinks_sql(cut, "de")
    assert links[1] == "Titel 1"
    assert sum("cut off" in r.message for r in caplog.records) == 1
    corrupt = tmp_path / "corrupt.sql.gz"
    corrupt.write_bytes(data[:20] + b"\x00" * 200 + data[220:])
    with pytest.raises(UserError, match="corrupt.sql.gz: unreadable compressed data"):
        read_langlinks_sql(corrupt, "de")


def test_malformed_langlinks_rows_are_skipped_and_counted(tmp_path, caplog):
    from collections import Counter

    from xlt.wiki.mapping import read_langlinks_sql

    sql = (
        "CREATE TABLE `langlinks` (\n);\n"
        "INSERT INTO `langlinks` VALUES (1,'de','Erster'),(2,'de','Offen),(3,'de','Dritter'),(4,'es','Cuarto');\n"
        "INSERT INTO `langlinks` VALUES kaputt und (5,'de','Fünfter');\n"
        "INSERT INTO `langlinks` VALUES (6,'de','Sechs\\'ter'),(7,'de','Sieben');\n"
    )
    path = tmp_path / "ll.sql"
    path.write_text(sql, encoding="utf-8")
    counts = Counter()
    with caplog.at_level("WARNING"):
        links = read_langlinks_sql(path, "de", counts)
    # the unterminated quote of row 2 and the garbage before row 5 are skipped; every well-formed row is kept
    assert links == {1: "Erster", 3: "Dritter", 5: "Fünfter", 6: "Sechs'ter", 7: "Sieben"}
    assert counts["langlinks_rows_skipped"] == 2
    assert [r.message for r in caplog.records] == [
        f"{path}:3: skipped 1 malformed langlinks row(s)",
        f"{path}:4: skipped 1 malformed langlinks row(s)",
    ]


def test_mapping_statistics_count_unmapped_entities_and_cut_off_inputs(files, tmp_path):
    cut = tmp_path / "cut.xml"  # an interrupted download: the XML stops inside a page
    data = bz2.decompress(Path(files["english_dump"]).read_bytes())
    cut.write_bytes(data[: len(data) * 3 // 4])
    wiki = {"mapping": "langlinks", **files, "english_dump": str(cut), "page_sql": None}
    rows, stats = map_entities(ENTITIES, "de", wiki)
    assert stats["dumps_truncated"] == 1 and stats["langlinks_rows_skipped"] == 0
    assert stats["unmapped"] == len(ENTITIES) - len(rows) and stats["entities"] == len(ENTITIES)


def test_how_the_api_is_asked_is_kept_apart_from_what_decides_the_mapping():
    from xlt.wiki.mapping import join_mapping_config, split_mapping_config

    wiki = {"mapping": "api", "english_dump": None, "langlinks_sql": None, "page_sql": None, "wikidata_json": [],
            "dumps": {"de": ["de.xml"], "fr": ["fr.xml"]}, "max_sentences": 100,
            "api": {"contact": "a@example.org", "requests_per_second": 1.0, "max_retries": 5, "retry_wait": 1.0,
                    "cache_dir": "cache", "endpoint_template": "https://{lang}.wikipedia.org/w/api.php"}}
    settings, runtime = split_mapping_config(wiki, "de")
    other = {**wiki, "max_sentences": 5, "dumps": {**wiki["dumps"], "fr": ["new.xml"]},
             "api": {**wiki["api"], "contact": "b@example.org", "requests_per_second": 0.2, "cache_dir": "c2"}}
    assert split_mapping_config(other, "de")[0] == settings  # none of these edits re-runs the German mapping
    assert runtime == {k: wiki["api"][k] for k in ("contact", "requests_per_second", "max_retries", "retry_wait",
                                                   "cache_dir")}
    assert settings["dumps"] == {"de": ["de.xml"]} and "max_sentences" not in settings
    moved = {**wiki, "api": {**wiki["api"], "endpoint_template": "https://mirror/{lang}/api.php"}}
    assert split_mapping_config(moved, "de")[0] != settings
    joined = join_mapping_config(settings, runtime)
    assert joined["api"] == wiki["api"] and joined["mapping"] == "api"
