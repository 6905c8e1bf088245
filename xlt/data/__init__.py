"""Readers for the paper's benchmarks in their original distribution formats.

* :mod:`xlt.data.cls` -- Webis-CLS-10 (``cls-acl10-unprocessed``) review XML: sentiment labels from
  star ratings, the seeded down-sampled unlabeled pool.
* :mod:`xlt.data.conll` -- CoNLL-2002/2003 NER column files (2 to 5 columns, IOB1 or IOB2,
  UTF-8 or latin-1), normalised to IOB2; WikiANN / XTREME PAN-X raw files (``lang:`` prefixes stripped).
* :mod:`xlt.data.hf` -- NER splits in the Hugging Face ``datasets`` form (Parquet / Arrow files, hub downloads).
* :mod:`xlt.data.unlabeled` -- unlabeled target text given by path (plain text, JSON lines, CoNLL, Webis XML).
* :mod:`xlt.data.stats` -- one row of statistics per (task, language, domain, split).
* :mod:`xlt.data.download` -- fetch a URL to a file atomically and report its SHA-256.

Bad input raises :class:`xlt.errors.UserError` with one line naming ``file:line``.
"""
