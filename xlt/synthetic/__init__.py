"""A small SYNTHETIC multilingual benchmark, written in the real distribution formats of the paper's data.

The demo must run every stage -- the loaders, the Wikipedia harvest of Section 3.1, Bilingual Task Fitting,
self-training -- on a laptop, without the licensed corpora and without a network. This module invents such
a benchmark from a small built-in lexicon and writes it in the formats of the originals, so that the
project's real readers and harvest run on it unchanged:

* Webis-CLS-10 "unprocessed" review XML: ``cls/<en|de|fr|jp>/<domain>/{train,test,unlabeled}.review``
  (English items carry summary, rating, text and category only; German, French and Japanese items carry
  the longer field list of the originals);
* CoNLL-2003 English (``word POS chunk NER``, IOB1, ASCII) and German (``word lemma POS chunk NER``, IOB1,
  ISO-8859-1), CoNLL-2002 Spanish and Dutch (``word POS NER``, IOB2, UTF-8), each with the ``-DOCSTART-``
  convention of its original file;
* MediaWiki ``pages-articles`` exports (export-0.10, bzip2) for English and every target language, an
  English ``langlinks`` MySQL dump (gzip) and a Wikidata ``wbgetentities`` answer for the same entities.

What makes the data useful to the paper's method, not only parseable:

* Sentiment is learnable and partly transferable. A review's polarity is carried by language-specific
  sentiment words; about half of the reviews in every language also carry a language-independent token
  (``super``, ``top``, ``:-)``, ``10/10``, ``flop``, ``meh``...), as real reviews do. A model trained on
  English therefore beats chance on the other languages without reaching its English accuracy, and the
  target-language unlabeled reviews put the shared tokens next to target words: the co-occurrence that
  BTF's masked language modelling and self-training can exploit. French shares cognates with English
  (``excellent``, ``horrible``), German only sub-words (``perfekt``, ``fantastisch``), Japanese nothing
  but the shared tokens, so the targets differ in difficulty as in the paper.
* NER entities come from one invented gazetteer. Most names are spelled alike in every language, some
  differ (the city ``Veltra`` is ``Weltra`` in German), as in real news. Every entity has an English
  Wikipedia page (some reached through redirects), langlinks to its target-language pages and target pages
  whose sentences mention it, so the chain English training entity -> English page -> langlink -> target
  page -> target sentences of Section 3.1 works end to end; a few entities have no page in some language,
  or interlanguage links only inline in the English wikitext (old style), as happens in the real data.
  Random target pages about unrelated invented topics feed the random-Wikipedia ablation. Some entities
  are held out of the English training file, so the target test sets are not pure memorisation.

Everything is deterministic for a seed (bzip2 and gzip streams carry no time stamps; every file has its
own random stream, so adding a language leaves the other files unchanged) and labelled as synthetic:
``README.txt`` at the root, the dumps' ``<sitename>``, a comment in the SQL dump and ``manifest.json``,
which also records the gazetteer, the page ids and which entities occur in the English training file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable, Mapping

from xlt.io import atomic_path
from xlt.synthetic.cls import _write_cls
from xlt.synthetic.common import _domains, _languages, _seed, _sizes, _wiki_languages, _wiki_random_pages, CLS_DIRS, CLS_DOMAINS, CLS_LANGUAGES, CLS_SPLITS, CONLL_LANGUAGES, DEFAULT_CLS_SIZES, DEFAULT_CONLL_SIZES, DEFAULT_WIKI_RANDOM_PAGES, SOURCE, WIKI_LANGUAGES
from xlt.synthetic.conll import _CONLL, _write_conll
from xlt.synthetic.gazetteer import GAZETTEER, GazetteerEntity
from xlt.synthetic.wiki import _write_wikipedia

__all__ = [
    "CLS_LANGUAGES",
    "CLS_DOMAINS",
    "CONLL_LANGUAGES",
    "WIKI_LANGUAGES",
    "DEFAULT_CLS_SIZES",
    "DEFAULT_CONLL_SIZES",
    "DEFAULT_WIKI_RANDOM_PAGES",
    "GAZETTEER",
    "GazetteerEntity",
    "synthetic_files",
    "wiki_languages",
    "make_synthetic_benchmark",
]

# ==================================================================================================
# Public API


def synthetic_files(
    cls_languages: Iterable[str], cls_domains: Iterable[str], conll_languages: Iterable[str]
) -> list[str]:
    """Every file :func:`make_synthetic_benchmark` writes, as paths relative to its ``out_root``.

    An empty ``cls_languages`` or ``conll_languages`` means that task is not generated; otherwise English
    (the source language) is always included. The Wikipedia files cover the target languages of both
    tasks (:func:`wiki_languages`).
    """
    cls_langs = _languages(cls_languages, CLS_LANGUAGES, "cls_languages")
    conll_langs = _languages(conll_languages, CONLL_LANGUAGES, "conll_languages")
    domains = _domains(cls_domains) if cls_langs else []
    files = ["README.txt", "manifest.json"]
    files += [
        f"cls/{CLS_DIRS[lang]}/{dom}/{split}.review" for lang in cls_langs for dom in domains for split in CLS_SPLITS
    ]
    files += [f"conll/{_CONLL[lang].prefix}.{suffix}" for lang in conll_langs for suffix, _ in _CONLL[lang].splits]
    files += ["wikipedia/en/wiki.xml.bz2"]
    files += [f"wikipedia/{lang}/wiki.xml.bz2" for lang in _wiki_languages(cls_langs, conll_langs)]
    files += ["wikipedia/enwiki-langlinks.sql.gz", "wikipedia/wikidata.json"]
    return files


def wiki_languages(cls_languages: Iterable[str], conll_languages: Iterable[str]) -> list[str]:
    """The target-language Wikipedias generated: CoNLL targets, then CLS targets (``ja`` for ``jp``)."""
    return _wiki_languages(
        _languages(cls_languages, CLS_LANGUAGES, "cls_languages"),
        _languages(conll_languages, CONLL_LANGUAGES, "conll_languages"),
    )


def make_synthetic_benchmark(
    out_root,
    *,
    seed: int = 0,
    cls_languages: Iterable[str] = CLS_LANGUAGES,
    cls_domains: Iterable[str] = CLS_DOMAINS,
    cls_sizes: Mapping[str, int] = DEFAULT_CLS_SIZES,
    conll_languages: Iterable[str] = CONLL_LANGUAGES,
    conll_sizes: Mapping[str, int] = DEFAULT_CONLL_SIZES,
    wiki_pages: Mapping[str, int] | None = None,
) -> list[Path]:
    """Write the synthetic benchmark under ``out_root``; return the written paths (as :func:`synthetic_files`).

    * ``cls_sizes``: reviews per language-domain for ``train``, ``test`` and ``unlabeled``. Labelled splits
      are balanced (ratings 1-2 negative, 4-5 positive); each train file holds ``max(1, train // 20)``
      three-star reviews more (the loader drops them) and one exact duplicate review, both quirks of the
      real corpus. Unlabeled reviews have every rating, 3 included.
    * ``conll_sizes``: sentences (not counting ``-DOCSTART-`` lines) for ``train`` (``eng.train``), ``dev``
      (``*.testa``) and ``test`` (``*.testb``).
    * ``wiki_pages``: language -> number of random pages on unrelated invented topics written beside the
      entity pages (missing languages get :data:`DEFAULT_WIKI_RANDOM_PAGES`; the key ``en`` adds random
      English pages, none by default).

    Same arguments, same bytes. Each file is written atomically.
    """
    seed = _seed(seed)
    cls_langs = _languages(cls_languages, CLS_LANGUAGES, "cls_languages")
    conll_langs = _languages(conll_languages, CONLL_LANGUAGES, "conll_languages")
    domains = _domains(cls_domains) if cls_langs else []
    cls_n = _sizes(cls_sizes, {"train": 2, "test": 2, "unlabeled": 1}, "cls_sizes")
    conll_n = _sizes(conll_sizes, {"train": 1, "dev": 1, "test": 1}, "conll_sizes")
    wiki_langs = _wiki_languages(cls_langs, conll_langs)
    random_pages = _wiki_random_pages(wiki_pages, wiki_langs)

    contents: dict[str, bytes] = {}
    manifest: dict = {
        "synthetic": True,
        "description": "Invented benchmark in the formats of Webis-CLS-10, CoNLL-2002/2003 and Wikipedia dumps; "
        "no real text. Generated by xlt.synthetic.",
        "seed": seed,
    }

    if cls_langs:
        manifest["cls"] = _write_cls(contents, seed, cls_langs, domains, cls_n)
    train_surfaces: dict[str, set] = {}
    if conll_langs:
        manifest["conll"] = _write_conll(contents, seed, conll_langs, conll_n, train_surfaces)
    manifest["wikipedia"] = _write_wikipedia(contents, seed, wiki_langs, random_pages)
    for entry in manifest["wikipedia"]["entities"]:
        entry["english_train_surfaces"] = sorted(train_surfaces.get(entry["key"], ()))
        entry["in_english_train"] = bool(entry["english_train_surfaces"])
    contents["manifest.json"] = (json.dumps(manifest, indent=1, ensure_ascii=False) + "\n").encode("utf-8")
    contents["README.txt"] = _readme(seed, cls_langs, domains, cls_n, conll_langs, conll_n, wiki_langs).encode("utf-8")

    expected = synthetic_files(cls_langs, domains, conll_langs)
    if sorted(expected) != sorted(contents):  # pragma: no cover - an internal inconsistency, not a user error
        raise AssertionError(f"generated {sorted(contents)} but synthetic_files lists {sorted(expected)}")
    out_root = Path(out_root)
    written = []
    for rel in expected:
        path = out_root / rel
        with atomic_path(path) as tmp:
            tmp.write_bytes(contents[rel])
        written.append(path)
    return written


# ==================================================================================================
# README


def _readme(seed, cls_langs, domains, cls_n, conll_langs, conll_n, wiki_langs) -> str:
    lines = [
        "SYNTHETIC BENCHMARK -- GENERATED TEST DATA, NOT REAL TEXT",
        "",
        "Every review, sentence, name and Wikipedia page under this folder was invented by xlt.synthetic",
        f"(seed {seed}) from a small built-in lexicon. The files imitate the distribution formats of",
        "Webis-CLS-10, CoNLL-2002/2003 and Wikipedia dumps so that the workflow's real loaders and its",
        "Wikipedia harvest run on them; scores measured on these files say nothing about the method.",
        "",
    ]
    if cls_langs:
        lines += [
            f"cls/<{'|'.join(CLS_DIRS[l] for l in cls_langs)}>/<{'|'.join(domains)}>/{{train,test,unlabeled}}.review",
            f"  Webis-CLS-10 unprocessed XML, UTF-8; {cls_n['train']} train / {cls_n['test']} test reviews (balanced),",
            f"  {cls_n['unlabeled']} unlabeled; train files add {max(1, cls_n['train'] // 20)} three-star reviews and one duplicate.",
        ]
    if conll_langs:
        formats = {
            "en": "eng: word POS chunk NER, IOB1, ASCII",
            "de": "deu: word lemma POS chunk NER, IOB1, ISO-8859-1",
            "es": "esp: word POS NER, IOB2, UTF-8, no -DOCSTART-",
            "nl": "ned: word POS NER, IOB2, UTF-8",
        }
        lines += ["conll/: " + ", ".join(f"{_CONLL[l].prefix}.{s}" for l in conll_langs for s, _ in _CONLL[l].splits)]
        lines += [f"  {formats[l]}" for l in conll_langs]
        lines += [
            f"  Sentences: train {conll_n['train']}, dev (testa) {conll_n['dev']}, test (testb) {conll_n['test']}."
        ]
    lines += [
        "wikipedia/<lang>/wiki.xml.bz2: MediaWiki export-0.10 dumps for " + ", ".join([SOURCE] + wiki_langs) + ".",
        "wikipedia/enwiki-langlinks.sql.gz: MySQL dump of a langlinks table keyed by the English page ids.",
        "wikipedia/wikidata.json: a wbgetentities answer with sitelinks for the same entities.",
        "manifest.json: the gazetteer, page ids and which entities occur in the English training file.",
        "",
    ]
    return "\n".join(lines)
