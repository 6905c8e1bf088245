"""Synthetic Webis-CLS-10 reviews in the corpus' unprocessed XML (see :mod:`xlt.synthetic`)."""

from __future__ import annotations

import random
import re
from xml.sax.saxutils import escape

from xlt.synthetic.common import _cap, _rng, CLS_DIRS, CLS_SPLITS
from xlt.synthetic.gazetteer import _Namer

# ==================================================================================================
# Webis-CLS-10 reviews

# fmt: off
# Language-independent tokens: the bridge that lets an English-trained model beat chance elsewhere.
_SHARED = {
    "pos": ("super", "top", ":-)", "10/10", "wow", "<3"),
    "neg": ("flop", ":-(", "0/10", "meh", "argh", "-_-"),
    "neutral": ("ok", "!!", "...", "??", "btw"),
}
_BRANDS = {  # artists, publishers and studios: the same Latin-script names in every language
    "books": ("Harlow Quint", "Edda Marisol", "Penwick House", "Corvin Ashe"),
    "dvd": ("Starwell Pictures", "Lumen Arc", "Dax Ferrow", "Nina Solberg"),
    "music": ("The Velvet Orbits", "Kiri Amano", "Solace Nine", "Brass Lantern"),
}
_SHARED_RATE = 0.4  # reviews with a shared sentiment token
_NEUTRAL_SHARED_RATE = 0.3  # reviews with an uninformative shared token
_CONTRAST_RATE = 0.35  # 2- and 4-star reviews with one sentence of the opposite polarity

_LEXICON = {
    "en": {
        "pos": ("great", "excellent", "wonderful", "brilliant", "fantastic", "perfect", "delightful", "superb",
                "moving", "enjoyable", "gripping", "lovely"),
        "neg": ("boring", "terrible", "awful", "disappointing", "dull", "horrible", "weak", "tedious", "annoying",
                "poor", "bland", "dreadful"),
        "pos_phrase": ("I loved it", "highly recommended", "worth every penny", "a real pleasure"),
        "neg_phrase": ("I hated it", "a waste of money", "not recommended", "a total letdown"),
        "nouns": {
            "books": ("book", "novel", "story", "author", "plot", "ending", "narrator", "chapter"),
            "dvd": ("film", "movie", "director", "actor", "scene", "soundtrack", "ending", "sequel"),
            "music": ("album", "song", "singer", "band", "melody", "voice", "track", "recording"),
        },
        "verb": {"books": "read", "dvd": "watched", "music": "listened to"},
        "sentiment": ("The {n} is {a}.", "Honestly, the {n} is really {a}.", "{A}!", "Overall: {p}."),
        "contrast": ("But the {n} is {a}.", "Only the {n} is {a}."),
        "filler": ("I bought this {n} last month.", "It arrived two days after I ordered it.",
                   "I have {v} it {k} times now.", "This is the latest release by {b}.", "It first came out in {y}.",
                   "A friend gave it to me as a present."),
        "summary": ("{A}!", "{P}", "{A} {n}"),
        "neutral_summary": "It is okay",
        "categories": {"books": "books", "dvd": "dvd", "music": "music"},
    },
    "de": {
        "pos": ("toll", "hervorragend", "wunderbar", "großartig", "fantastisch", "perfekt", "spannend", "schön",
                "gelungen", "begeisternd", "exzellent", "klasse"),
        "neg": ("langweilig", "schrecklich", "furchtbar", "enttäuschend", "öde", "miserabel", "schwach", "mühsam",
                "ärgerlich", "dürftig", "grauenhaft", "katastrophal"),
        "pos_phrase": ("ich habe es geliebt", "absolut empfehlenswert", "jeden Cent wert", "ein echtes Vergnügen"),
        "neg_phrase": ("ich habe es gehasst", "rausgeworfenes Geld", "nicht empfehlenswert", "eine echte Enttäuschung"),
        "nouns": {
            "books": ("das Buch", "der Roman", "die Geschichte", "der Autor", "die Handlung", "das Ende", "der Erzähler",
                      "das Kapitel"),
            "dvd": ("der Film", "der Regisseur", "der Schauspieler", "die Szene", "der Soundtrack", "das Ende",
                    "die Fortsetzung", "die Besetzung"),
            "music": ("das Album", "das Lied", "die Sängerin", "die Band", "die Melodie", "die Stimme", "der Titel",
                      "die Aufnahme"),
        },
        "verb": {"books": "gelesen", "dvd": "gesehen", "music": "gehört"},
        "sentiment": ("{N} ist {a}.", "Ehrlich gesagt ist {n} wirklich {a}.", "{A}!", "Fazit: {p}."),
        "contrast": ("Aber {n} ist {a}.", "Nur {n} ist {a}."),
        "filler": ("Ich habe es letzten Monat gekauft.", "Die Lieferung kam zwei Tage nach der Bestellung.",
                   "Ich habe es inzwischen {k} Mal {v}.", "Es ist die neueste Veröffentlichung von {b}.",
                   "Erschienen ist es {y}.", "Ein Freund hat es mir geschenkt."),
        "summary": ("{A}!", "{P}"),
        "neutral_summary": "Ganz okay",
        "categories": {"books": "Bücher", "dvd": "DVD &amp;amp; Blu-ray", "music": "Musik"},
        "months": ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
                   "November", "Dezember"),
    },
    "fr": {
        "pos": ("génial", "excellent", "magnifique", "brillant", "fantastique", "parfait", "passionnant", "superbe",
                "émouvant", "agréable", "captivant", "charmant"),
        "neg": ("ennuyeux", "terrible", "horrible", "décevant", "fade", "affreux", "faible", "pénible", "agaçant",
                "médiocre", "nul", "lamentable"),
        "pos_phrase": ("je l'ai adoré", "vivement recommandé", "vaut chaque centime", "un vrai plaisir"),
        "neg_phrase": ("je l'ai détesté", "de l'argent gaspillé", "à éviter", "une vraie déception"),
        "nouns": {
            "books": ("le livre", "le roman", "l'histoire", "l'auteur", "l'intrigue", "la fin", "le narrateur",
                      "le chapitre"),
            "dvd": ("le film", "le réalisateur", "l'acteur", "la scène", "la bande originale", "la fin", "la suite",
                    "le casting"),
            "music": ("l'album", "la chanson", "la chanteuse", "le groupe", "la mélodie", "la voix", "le morceau",
                      "l'enregistrement"),
        },
        "verb": {"books": "lu", "dvd": "vu", "music": "écouté"},
        "sentiment": ("{N} est {a}.", "Franchement, {n} est vraiment {a}.", "{A} !", "Bilan : {p}."),
        "contrast": ("Mais {n} est {a}.", "Seul {n} est {a}."),
        "filler": ("Je l'ai acheté le mois dernier.", "La livraison est arrivée deux jours après la commande.",
                   "Je l'ai {v} {k} fois.", "C'est la dernière sortie de {b}.", "Il est sorti en {y}.",
                   "Un ami me l'a offert."),
        "summary": ("{A} !", "{P}"),
        "neutral_summary": "Correct, sans plus",
        "categories": {"books": "Livres", "dvd": "DVD", "music": "Musique"},
        "months": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
                   "novembre", "décembre"),
    },
    "ja": {
        "pos": ("最高", "素晴らしい", "面白い", "感動的", "良い", "おすすめ", "楽しい", "綺麗", "見事", "完璧", "魅力的", "傑作"),
        "neg": ("最悪", "つまらない", "退屈", "ひどい", "残念", "期待外れ", "不満", "微妙", "がっかり", "下手", "物足りない", "駄作"),
        "pos_phrase": ("大好きになりました", "強くおすすめします", "買って良かったです", "本当に楽しめました"),
        "neg_phrase": ("二度と買いません", "お金の無駄でした", "おすすめしません", "本当にがっかりしました"),
        "nouns": {
            "books": ("本", "小説", "物語", "作者", "結末", "文章", "翻訳", "主人公"),
            "dvd": ("映画", "監督", "俳優", "演出", "映像", "音楽", "結末", "続編"),
            "music": ("アルバム", "曲", "歌手", "バンド", "メロディー", "歌声", "歌詞", "録音"),
        },
        "verb": {"books": "読みました", "dvd": "観ました", "music": "聴きました"},
        "sentiment": ("この{n}は{a}です。", "正直に言って、{n}は本当に{a}です。", "{a}！", "結論：{p}。"),
        "contrast": ("でも{n}は{a}です。", "ただ、{n}だけは{a}です。"),
        "filler": ("先月この{n}を買いました。", "注文から二日後に届きました。", "これまでに{k}回{v}。",
                   "{b} の最新作です。", "{y}年に発売されました。", "友人からのプレゼントです。"),
        "summary": ("{a}！", "{p}。"),
        "neutral_summary": "まあまあです",
        "categories": {"books": "本", "dvd": "DVD", "music": "ミュージック"},
    },
}
# fmt: on


def _sentence(lang: str, template: str, domain: str, polarity: str | None, rng: random.Random) -> str:
    lex = _LEXICON[lang]
    noun = rng.choice(lex["nouns"][domain])
    adj = rng.choice(lex[polarity]) if polarity else ""
    phrase = rng.choice(lex[f"{polarity}_phrase"]) if polarity else ""
    return template.format(
        n=noun,
        N=_cap(noun),
        a=adj,
        A=_cap(adj),
        p=phrase,
        P=_cap(phrase),
        v=lex["verb"][domain],
        b=rng.choice(_BRANDS[domain]),
        y=rng.randint(1995, 2009),
        k=rng.randint(2, 5),
    )


def _review(lang: str, domain: str, stars: int, rng: random.Random) -> tuple[str, str]:
    """(summary, text) of one review with the given stars."""
    lex = _LEXICON[lang]
    polarity = "pos" if stars > 3 else "neg" if stars < 3 else None
    opposite = {"pos": "neg", "neg": "pos"}
    parts: list[tuple[str, bool]] = []  # (text, is a shared token)
    if polarity is None:  # three stars: praise and blame
        parts += [
            (_sentence(lang, rng.choice(lex["sentiment"]), domain, "pos", rng), False),
            (_sentence(lang, rng.choice(lex["contrast"]), domain, "neg", rng), False),
        ]
    else:
        strong = stars in (1, 5)
        for _ in range(rng.randint(2, 3) if strong else rng.randint(1, 2)):
            parts.append((_sentence(lang, rng.choice(lex["sentiment"]), domain, polarity, rng), False))
    parts += [(_sentence(lang, t, domain, None, rng), False) for t in rng.sample(lex["filler"], rng.randint(1, 3))]
    if polarity and rng.random() < _SHARED_RATE:
        parts.append((rng.choice(_SHARED[polarity]), True))
    if rng.random() < _NEUTRAL_SHARED_RATE:
        parts.append((rng.choice(_SHARED["neutral"]), True))
    rng.shuffle(parts)
    if polarity and stars in (2, 4) and rng.random() < _CONTRAST_RATE:
        parts.append((_sentence(lang, rng.choice(lex["contrast"]), domain, opposite[polarity], rng), False))
    if lang == "ja":  # no spaces in Japanese, except around Latin-script tokens
        text = "".join(f" {t} " if shared else t for t, shared in parts)
        text = re.sub(r" {2,}", " ", text).strip()
    else:
        text = " ".join(t for t, _ in parts)
    if polarity is None:
        summary = lex["neutral_summary"]
    else:
        summary = _sentence(lang, rng.choice(lex["summary"]), domain, polarity, rng)
        if rng.random() < 0.15:
            summary += " " + rng.choice(_SHARED[polarity])
    return summary, text


def _asin(rng: random.Random, domain: str) -> str:
    if domain == "books" and rng.random() < 0.5:
        return "".join(rng.choices("0123456789", k=10))
    return "B00" + "".join(rng.choices("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", k=7))


def _date(lang: str, rng: random.Random) -> str:
    year, month, day = rng.randint(2004, 2010), rng.randint(1, 12), rng.randint(1, 28)
    if lang == "de":
        return f"{day}. {_LEXICON['de']['months'][month - 1]} {year}"
    if lang == "fr":
        return f"{day} {_LEXICON['fr']['months'][month - 1]} {year}"
    return f"{year}年{month}月{day}日"


def _x(text: str) -> str:
    return escape(text)


def _review_item(lang: str, domain: str, stars: int, rng: random.Random, namer: _Namer) -> str:
    """One ``<item>`` in the layout of the corpus' files for that language."""
    summary, text = _review(lang, domain, stars, rng)
    category = _LEXICON[lang]["categories"][domain]
    rating = f"{stars:.1f}"
    if lang == "en":
        return (
            f"<item>\n\t<summary>{_x(summary)}\n</summary>\n\t<rating>{rating}</rating>\n"
            f"\t<text>{_x(text)}\n</text>\n\t<category>{category}</category>\n\t</item>\n"
        )
    asin = _asin(rng, domain)
    (w1, k1), (w2, k2) = namer.word(), namer.word()
    title = f"{k1}{k2}" if lang == "ja" else f"{w1} {w2}"
    reviewer = namer.person()[1 if lang == "ja" else 0]
    place = namer.word()[1 if lang == "ja" else 0]
    location = "<location />" if rng.random() < 0.45 else f"<location>{_x(place)}</location>"
    low = rng.randint(0, 9)
    votes = f"<helpfulness_votes><value>{low}</value><value>{low + rng.randint(0, 20)}</value></helpfulness_votes>"
    fields = [f"<category>{category}</category>", f"<rating>{rating}</rating>"]
    if lang == "de":
        fields.append(f"<realname>{'True' if rng.random() < 0.4 else 'False'}</realname>")
    fields += [
        f"<asin>{asin}</asin>",
        f"<url>http://reviews.synthetic.invalid/{CLS_DIRS[lang]}/product-reviews/{asin}/</url>",
        f"<text>{_x(text)}</text>",
        f"<title>{_x(title)}</title>",
        f"<summary>{_x(summary)}</summary>",
        f"<date>{_date(lang, rng)}</date>",
        location,
        votes,
        f"<reviewer>{_x(reviewer)}</reviewer>",
    ]
    if lang == "fr":
        fields.append(
            "<badges />"
            if rng.random() < 0.5
            else f"<badges><value>{rng.choice(('REAL NAME', 'TOP 500 REVIEWER'))}</value></badges>"
        )
    return "<item>" + "".join(fields) + "</item>"


_ITEM_SEPARATOR = {"en": "", "de": "\n\n", "fr": "\n\n\n", "ja": "\n\n"}


def _review_file(lang: str, items: list[str]) -> bytes:
    sep = _ITEM_SEPARATOR[lang]
    body = "".join(items) if lang == "en" else sep.join(items) + sep
    return ('<?xml version="1.0" encoding="utf-8"?>\n<items>' + body + "</items>").encode("utf-8")


def _labelled_stars(n: int, rng: random.Random) -> list[int]:
    neg = n // 2
    stars = [rng.choices((1, 2), (0.55, 0.45))[0] for _ in range(neg)]
    stars += [rng.choices((4, 5), (0.3, 0.7))[0] for _ in range(n - neg)]
    rng.shuffle(stars)
    return stars


def _write_cls(contents: dict, seed: int, langs: list[str], domains: list[str], sizes: dict) -> dict:
    neutral = max(1, sizes["train"] // 20)
    for lang in langs:
        for domain in domains:
            for split in CLS_SPLITS:
                rel = f"cls/{CLS_DIRS[lang]}/{domain}/{split}.review"
                rng = _rng(seed, rel)
                namer = _Namer(rng)
                if split == "unlabeled":
                    stars = rng.choices((1, 2, 3, 4, 5), (0.15, 0.1, 0.1, 0.2, 0.45), k=sizes[split])
                else:
                    stars = _labelled_stars(sizes[split], rng)
                items = [_review_item(lang, domain, s, rng, namer) for s in stars]
                if split == "train":
                    # the corpus' quirks: an exact duplicate review, and three-star reviews the loader drops
                    same = [i for i, s in enumerate(stars) if (s > 3) == (stars[0] > 3)]
                    if len(same) >= 2:
                        items[same[-1]] = items[same[0]]
                    for _ in range(neutral):
                        items.insert(rng.randint(0, len(items)), _review_item(lang, domain, 3, rng, namer))
                contents[rel] = _review_file(lang, items)
    return {
        "languages": langs,
        "dirs": {lang: CLS_DIRS[lang] for lang in langs},
        "domains": domains,
        "sizes": sizes,
        "train_three_star_items": neutral,
        "train_duplicate_items": 1 if sizes["train"] >= 4 else 0,
        "shared_sentiment_tokens": {k: list(v) for k, v in _SHARED.items()},
    }
