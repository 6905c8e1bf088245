"""Zero-shot cross-lingual transfer without parallel corpus (Zhang, Han and Wang).

Importable algorithms, loaders and model code behind the Snakemake workflow.
"""

__version__ = "0.1.0"
