"""Task-related target-language corpora from Wikipedia without translation (paper, Section 3.1).

The chain: entities of the English training set (:mod:`xlt.wiki.entities`) -> their English pages ->
interlanguage links to target-language pages (:mod:`xlt.wiki.mapping` offline, :mod:`xlt.wiki.api`
online) -> sentences of the target-language dump that mention them (:mod:`xlt.wiki.dump`, :mod:`xlt.wiki.wikitext`,
:mod:`xlt.wiki.sentences`, :mod:`xlt.wiki.harvest`). The MBERT-wiki ablation's random corpus of the same
size comes from the same dumps (:func:`xlt.wiki.random_sample.sample_random_sentences`).
"""
