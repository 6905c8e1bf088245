"""Streaming MediaWiki dumps (all compressions, old formats, cut-off and corrupt files) and wikitext to text."""

from __future__ import annotations

import bz2
import gzip
import logging
import lzma
import tracemalloc
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from xlt.errors import UserError
from xlt.wiki.dump import iter_articles, iter_pages
from xlt.wiki.wikitext import drop_templates, is_namespaced_link, paragraph_to_text, prose_paragraphs, wikitext_to_text

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
WIKI = DATA / "wikipedia"

NS10 = "http://www.mediawiki.org/xml/export-0.10/"


def dump_xml(pages, *, export: str = "0.10", with_ns: bool = True) -> str:
    """A ``pages-articles`` export of invented pages ``(title, ns, id, text, redirect)``."""
    out = [
        f'<mediawiki xmlns="http://www.mediawiki.org/xml/export-{export}/" version="{export}" xml:lang="de">',
        "<siteinfo><sitename>Testwiki</sitename><namespaces>"
        '<namespace key="0" /><namespace key="1">Diskussion</namespace><namespace key="14">Kategorie</namespace>'
        "</namespaces></siteinfo>",
    ]
    for title, ns, pid, text, redirect in pages:
        out.append(f"<page><title>{escape(title)}</title>")
        if with_ns:
            out.append(f"<ns>{ns}</ns>")
        out.append(f"<id>{pid}</id>")
        if redirect:
            out.append(f'<redirect title="{escape(redirect)}" />')
        out.append(
            f"<revision><id>{pid * 10}</id><contributor><id>7</id></contributor>"
            f'<text xml:space="preserve">{escape(text)}</text></revision></page>'
        )
    out.append("</mediawiki>\n")
    return "\n".join(out)


def write(path: Path, text: str) -> Path:
    data = text.encode("utf-8")
    opener = {".bz2": bz2.open, ".xz": lzma.open, ".gz": gzip.open}.get(path.suffix)
    if opener:
        with opener(path, "wb") as fh:
            fh.write(data)
    else:
        path.write_bytes(data)
    return path


PAGES = [
    ("Lindenfeld", 0, 11, "'''Lindenfeld''' ist eine Stadt. Sie liegt am Fluss.", None),
    ("Lindenfeld (Stadt)", 0, 12, "#WEITERLEITUNG [[Lindenfeld]]", "Lindenfeld"),
    ("Diskussion:Lindenfeld", 1, 13, "Fragen zur Stadt.", None),
    ("Nordhafen", 0, 14, "Nordhafen liegt im Norden von [[Lindenfeld]].", None),
]


@pytest.mark.parametrize("suffix", [".xml", ".xml.bz2", ".xml.xz", ".xml.gz"])
def test_pages_stream_from_every_compression(tmp_path, suffix):
    path = write(tmp_path / f"dump{suffix}", dump_xml(PAGES))
    pages = list(iter_pages(path))
    assert [(p.title, p.ns, p.id, p.redirect) for p in pages] == [
        ("Lindenfeld", 0, 11, None),
        ("Lindenfeld (Stadt)", 0, 12, "Lindenfeld"),
        ("Diskussion:Lindenfeld", 1, 13, None),
        ("Nordhafen", 0, 14, None),
    ]
    assert pages[0].text.startswith("'''Lindenfeld'''")
    assert [p.title for p in iter_articles(path)] == ["Lindenfeld", "Nordhafen"]


def test_compression_is_detected_by_content_not_by_name(tmp_path):
    path = tmp_path / "dump.xml"
    path.write_bytes(bz2.compress(dump_xml(PAGES).encode()))
    assert len(list(iter_pages(path, read_ahead=False))) == 4


def test_old_exports_without_ns_and_redirect_elements(tmp_path):
    pages = [
        ("AmericanPlace", 0, 6, "#REDIRECT [[American Place]] {{R from CamelCase}}", None),
        ("American Place", 0, 7, "A place. [[de:Amerikanischer Ort]]", None),
        ("Diskussion:American Place", 1, 8, "talk", None),
    ]
    path = write(tmp_path / "old.xml", dump_xml(pages, export="0.3", with_ns=False))
    got = [(p.title, p.ns, p.redirect) for p in iter_pages(path)]
    assert got == [
        ("AmericanPlace", 0, "American Place"),
        ("American Place", 0, None),
        ("Diskussion:American Place", 1, None),
    ]


def test_history_dump_uses_the_last_revision(tmp_path):
    xml = dump_xml([("Ort", 0, 1, "alt", None)]).replace(
        "</revision></page>", '</revision><revision><id>99</id><text xml:space="preserve">neu</text></revision></page>'
    )
    assert [p.text for p in iter_pages(write(tmp_path / "h.xml", xml))] == ["neu"]


def _numbered_pages(n: int, words: int = 60):
    import random

    rng = random.Random(n)
    vocab = ["Ort", "Fluss", "Stadt", "liegt", "am", "im", "Norden", "alt", "neu", "Markt", "Brücke", "Turm"]
    return [(f"Ort {i}", 0, i + 1, " ".join(rng.choice(vocab) for _ in range(words)) + ".", None) for i in range(n)]


@pytest.mark.parametrize("suffix", [".xml", ".xml.bz2", ".xml.xz", ".xml.gz"])
def test_cut_off_dump_yields_complete_pages_and_one_warning(tmp_path, suffix, caplog):
    pages_in = _numbered_pages(3000)
    full = dump_xml(pages_in).encode("utf-8")
    path = tmp_path / f"cut{suffix}"
    if suffix == ".xml":
        data = full[: full.index(b"<title>Ort 2000</title>") + 40]  # in the middle of page 2000
    elif suffix == ".xml.bz2":
        data = bz2.compress(full, compresslevel=1)  # 100 kB blocks: complete blocks stay readable
    elif suffix == ".xml.xz":
        data = lzma.compress(full)
    else:
        data = gzip.compress(full)
    path.write_bytes(data if suffix == ".xml" else data[: len(data) * 2 // 3])
    with caplog.at_level(logging.WARNING, logger="xlt.wiki.dump"):
        pages = list(iter_pages(path))
    assert 100 < len(pages) < 3000
    assert [(p.title, p.text) for p in pages] == [(t, x) for t, _, _, x, _ in pages_in[: len(pages)]]
    if suffix == ".xml":
        assert len(pages) == 2000
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "cut off" in warnings[0].getMessage() and str(path) in warnings[0].getMessage()


def test_dump_cut_off_before_the_first_page_is_an_error(tmp_path):
    path = tmp_path / "tiny.xml.bz2"
    data = bz2.compress(dump_xml(PAGES).encode())
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(UserError, match="tiny.xml.bz2: cut off before the first page"):
        list(iter_pages(path))


def test_unreadable_files_raise_one_line_user_errors(tmp_path):
    corrupt = tmp_path / "corrupt.xml.bz2"
    data = bz2.compress(dump_xml(PAGES * 50).encode())
    corrupt.write_bytes(data[:200] + b"\x00" * 200 + data[400:])
    with pytest.raises(UserError) as err:
        list(iter_pages(corrupt))
    assert str(corrupt) in str(err.value) and "\n" not in str(err.value)

    corrupt_gz = tmp_path / "corrupt.xml.gz"  # gzip reports damage as zlib.error, not OSError
    data = gzip.compress(dump_xml(PAGES * 50).encode())
    corrupt_gz.write_bytes(data[:20] + b"\x00" * 200 + data[220:])
    with pytest.raises(UserError, match="corrupt.xml.gz: unreadable compressed data"):
        list(iter_pages(corrupt_gz))

    not_xml = write(tmp_path / "notes.txt", "just some text\n")
    with pytest.raises(UserError, match=r"notes.txt:1: "):
        list(iter_pages(not_xml))

    other = write(tmp_path / "other.xml", "<html><body>hi</body></html>")
    with pytest.raises(UserError, match=r"other.xml:1: expected a MediaWiki XML dump"):
        list(iter_pages(other))

    broken = write(tmp_path / "broken.xml", dump_xml(PAGES).replace("</title>", "</titel>", 2))
    with pytest.raises(UserError, match=r"broken.xml:\d+: not well-formed XML"):
        list(iter_pages(broken))

    with pytest.raises(UserError, match="file not found"):
        list(iter_pages(tmp_path / "missing.xml.bz2"))


def test_streaming_memory_does_not_grow_with_the_dump(tmp_path):
    def peak(n_pages: int) -> int:
        path = write(tmp_path / f"m{n_pages}.xml", dump_xml(_numbered_pages(n_pages, words=100)))
        tracemalloc.start()
        for _ in iter_pages(path, read_ahead=False):
            pass
        result = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return result

    small, large = peak(2000), peak(8000)  # about 1.5 and 6 MB of XML
    assert large < small + 250_000  # keeping even an emptied element per page would cost more


def test_real_dumps_stream_with_their_titles():
    if not WIKI.exists():
        pytest.skip(f"Wikipedia samples not found at {WIKI}")
    de = {p.title for p in iter_articles(WIKI / "dumps" / "de" / "wiki.xml.bz2")}
    es = {p.title for p in iter_articles(WIKI / "dumps" / "es" / "wiki.xml.bz2")}
    en = list(iter_pages(WIKI / "dumps" / "en" / "wiki.xml.bz2"))
    assert {"Berlin", "Arthur Schopenhauer"} <= de and es == {"Berlín"}
    assert len(en) == 27 and any(p.redirect for p in en) and any(p.ns == 14 for p in en)
    gensim = WIKI / "gensim" / "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"
    pages = list(iter_pages(gensim))
    assert len(pages) == 206 and sum(p.redirect is not None for p in pages) > 50


def test_real_2006_export_is_cut_off_and_still_read(caplog):
    path = WIKI / "citolytics" / "wiki2006.xml"
    if not path.exists():
        pytest.skip(f"2006 export not found at {path}")
    with caplog.at_level(logging.WARNING, logger="xlt.wiki.dump"):
        pages = list(iter_pages(path))
    assert len(pages) == 45
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1  # it lacks </mediawiki>
    redirects = {p.title: p.redirect for p in pages if p.redirect}
    assert redirects  # CamelCase redirects written as #REDIRECT text, with no <redirect> element
    assert all(p.ns == 1 for p in pages if p.title.startswith("Talk:"))


# ----------------------------------------------------------------------------------------------
# Wikitext to plain text

ARTICLE = """{{Infobox Ort
| name = Lindenfeld
| einwohner = {{formatnum:12000}}
}}
'''Lindenfeld''' ({{lang|la|Tilia}}) ist eine [[Stadt]] in [[Nordland (Region)|Nordland]].<ref>{{cite web|url=http://x.test|title=Quelle}}</ref> Sie hat 12&nbsp;000 Einwohner.<ref name="a" />
[[Datei:Lindenfeld.jpg|mini|Der [[Markt]] von Lindenfeld]]

== Geschichte ==
Im [[Mittelalter]] war Lindenfeld ein Dorf.<!-- Quelle fehlt --> Der Ort wurde 1244 erstmals erwähnt
<ref>Chronik,
S. 5</ref> und wuchs schnell.

{| class="wikitable"
! Jahr !! Einwohner
|-
| 1900 || 5000
|}
* Listeneintrag mit [[Link]]
# Nummer
: Einzug
<gallery>
Bild1.jpg|Bild
</gallery>
Die Stadt liegt an der ''Linde'' und am [http://example.org Kanal]. <small>Klein</small> <span lang="la">Tilia</span>.<br />Neue Zeile.
{{Navigationsleiste Orte}}
[[Kategorie:Ort]]
[[en:Lindenfield]]
"""


def test_wikitext_to_text_keeps_the_running_text_only():
    assert wikitext_to_text(ARTICLE).split("\n") == [
        "Lindenfeld (Tilia) ist eine Stadt in Nordland. Sie hat 12\xa0000 Einwohner.".replace("\xa0", " "),
        "Im Mittelalter war Lindenfeld ein Dorf. Der Ort wurde 1244 erstmals erwähnt und wuchs schnell.",
        "Die Stadt liegt an der Linde und am Kanal. Klein Tilia. Neue Zeile.",
    ]


def test_prose_paragraphs_drop_non_prose_blocks():
    paras = prose_paragraphs(ARTICLE)
    assert len(paras) == 3
    assert not any(p.lstrip().startswith(("{{", "{|", "*", "#", "==", "[[Datei", "[[Kategorie")) for p in paras)
    assert "<gallery>" not in "".join(paras) and "cite web" not in "".join(paras)


def test_fast_path_and_parser_agree():
    cases = [
        "Plain [[Link]] and [[Target|label]] with '''bold''' and ''italics''.",
        "Entities &amp; &nbsp;spaces &ndash; dashes, [http://a.test external] and [http://b.test].",
        "Tags <small>small</small>, <sup>1</sup>, line<br/>break, [[Bild:X.png|thumb|caption]] gone.",
        "A {{template|with [[link]]}} and {{nested|{{inner}}}} vanish; [[Ziel|{{lang|la|Label}}]] shows its target.",
        "Languages [[de:Lindenfeld]] and [[:de:Lindenfeld|visible]] and [[Kategorie:Ort|x]].",
        "Empty label [[Lindenfeld| ]] and [[ Nordhafen ]] and [[Ort#Lage|Lage]].",
    ]
    for case in cases:
        assert paragraph_to_text(case, fast=True) == paragraph_to_text(case, fast=False), case


def test_fast_path_and_parser_agree_on_real_articles():
    if not WIKI.exists():
        pytest.skip(f"Wikipedia samples not found at {WIKI}")
    checked = 0
    for dump in ("de", "es"):
        for page in iter_articles(WIKI / "dumps" / dump / "wiki.xml.bz2"):
            for para in prose_paragraphs(page.text):
                assert paragraph_to_text(para, fast=True) == paragraph_to_text(para, fast=False)
                checked += 1
    assert checked > 300


def test_links_that_do_not_show_and_templates():
    assert is_namespaced_link("Datei:X.jpg") and is_namespaced_link("Category:Y") and is_namespaced_link("es:Berlín")
    assert not is_namespaced_link("Star Wars: Episode IV") and not is_namespaced_link(":de:Berlin")
    assert not is_namespaced_link("Berlin")
    assert drop_templates("a {{x|{{y|z}}|w}} b {{c}}") == "a  b "


def test_real_article_text_mentions_the_city():
    if not WIKI.exists():
        pytest.skip(f"Wikipedia samples not found at {WIKI}")
    page = next(p for p in iter_articles(WIKI / "dumps" / "es" / "wiki.xml.bz2"))
    text = wikitext_to_text(page.text)
    assert text.startswith("Berlín")
    assert "{{" not in text and "[[" not in text and "<ref" not in text and "Categoría:" not in text
    assert len(text) > 0.3 * len(page.text) * 0.5


# ----------------------------------------------------------------------------------------------
# Inline templates that show text, and what dropped ones leave behind (constructed examples)


def _both(wikitext: str, lang: str) -> str:
    fast, slow = paragraph_to_text(wikitext, True, lang), paragraph_to_text(wikitext, False, lang)
    assert fast == slow, (fast, slow)
    return fast


def test_link_like_templates_keep_their_label():
    assert _both("北港市は{{仮リンク|南港物産|en|South Port Goods}}や、[[東商]]と取引する。", "ja") == (
        "北港市は南港物産や、東商と取引する。"
    )
    assert _both("{{仮リンク|南港物産|en|South Port Goods|label=南港}}の本社。", "ja") == "南港の本社。"
    assert _both(
        "He met {{ill|Anna Berg|de|Anna Berg (Malerin)}} in {{Interlanguage link|Lindenfeld|de|lt=the town}}.", "en"
    ) == ("He met Anna Berg in the town.")
    assert _both("Le conseil est composé de {{Lien|fr=élus|lang=en|trad=Councillor}} pour cinq ans.", "fr") == (
        "Le conseil est composé de élus pour cinq ans."
    )
    assert _both("他在{{link-en|南港公司|South Port Company}}工作。", "zh") == "他在南港公司工作。"


def test_language_nobreak_and_wrapper_templates_keep_their_text():
    assert _both("The town ({{lang-de|Lindenfeld}}, {{lang|la|[[Tilia]]}}) lies {{nowrap|5 km}} north.", "en") == (
        "The town (Lindenfeld, Tilia) lies 5 km north."
    )
    assert _both("Le mot {{langue|en|harbour}} et {{nobr|{{citation|port}}}}.", "fr") == ("Le mot harbour et « port ».")
    assert _both("{{読み仮名|北港|きたみなと}}は{{要出典範囲|古い町である|date=2020年1月}}。", "ja") == (
        "北港（きたみなと）は古い町である。"
    )


def test_date_number_and_unit_templates_keep_their_text():
    assert _both("It opened on {{start date|2004|3|12}} and closed in {{end date|2010|5}}.", "en") == (
        "It opened on March 12, 2004 and closed in May 2010."
    )
    assert _both(
        "The lake is {{convert|12.5|km2|sqmi}} and {{convert|3|to|5|m|ft}} deep; {{val|1.5|0.2|u=m}}.", "en"
    ) == ("The lake is 12.5 km² and 3 to 5 m deep; 1.5 ± 0.2 m.")
    assert _both("La température moyenne annuelle est de {{unité|11.7|°C}} ; {{nombre|12000|habitants}}.", "fr") == (
        "La température moyenne annuelle est de 11,7 °C; 12 000 habitants."
    )
    assert _both("Fondée au {{s-|XIX}} ({{XIIe siècle}}), le {{date|12|mars|2004}}, le {{1er}} mai.", "fr") == (
        "Fondée au XIXe siècle (XIIe siècle), le 12 mars 2004, le 1er mai."
    )
    assert (
        _both("Nació el {{fecha|12|3|2004}} en el {{siglo|XIX||s}}.", "es")
        == "Nació el 12 de marzo de 2004 en el siglo XIX."
    )
    assert (
        _both('Er nannte sie {{"|die Stadt}} und zählte {{Formnum|1500}}.', "de")
        == "Er nannte sie „die Stadt“ und zählte 1.500."
    )
    assert _both("Sie hat {{formatnum:1234567}} und {{FormatZahl|12000}} Einwohner.", "de") == (
        "Sie hat 1.234.567 und 12.000 Einwohner."
    )
    assert _both("{{生年月日と年齢|1950|1|2}}生まれ。", "ja") == "1950年1月2日生まれ。"


def test_other_templates_are_dropped_and_their_traces_tidied():
    # maintenance flags, references and unknown templates show nothing
    assert _both("Die Stadt{{Belege fehlen}} liegt am Fluss{{Sfn|Berg|2001}}.", "de") == "Die Stadt liegt am Fluss."
    # names of another wiki's templates are not rendered in this one
    assert _both("Er kam {{unité|5|km}} weit.", "de") == "Er kam weit."
    # full-width leftovers: empty brackets and quotes, dangling commas, spaces before punctuation
    assert _both(
        "北港市（{{lang-en|North Port}}{{要出典}}）は「{{Unknown}}」港町（{{Unknown}}、北部）である 。", "ja"
    ) == ("北港市（North Port）は港町（北部）である。")
    assert _both("北港（{{Unknown}}、{{Unknown}}）は、、古い町{{Unknown}}、。", "ja") == "北港は、古い町。"


def test_template_names_compare_like_titles():
    from xlt.wiki.templates import renders, template_key

    assert template_key(" Interlanguage_link ") == "interlanguage link" == template_key("Template:Interlanguage link")
    assert renders("Nowrap", "de") and renders("NoWrap", "ja") and renders("Lang-fr", "ja")
    assert renders("仮リンク", "ja") and not renders("仮リンク", "en") and not renders("Infobox Ort", "de")
