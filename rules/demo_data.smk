# Demo only (config/demo.yaml has a `synthetic:` section): a small SYNTHETIC multilingual benchmark written
# in the real formats (Webis-CLS-10 XML, CoNLL columns, MediaWiki XML dumps, a langlinks SQL dump), so that
# the real loaders and the real Wikipedia harvest run on it unchanged.


if plan.synthetic:

    rule make_synthetic_data:
        output:
            plan.synthetic_outputs(),
        log:
            "logs/make_synthetic_data.log",
        conda:
            DATA_ENV
        params:
            code=script_code("make_synthetic_data.py"),
            out_root=plan.synthetic_root,
            seed=config["synthetic"]["seed"],
            cls_languages=plan.synthetic_cls_languages(),
            cls_domains=plan.task_cfg("cls")["domains"],
            cls_sizes=config["synthetic"]["cls_sizes"],
            conll_languages=plan.synthetic_conll_languages(),
            conll_sizes=config["synthetic"]["conll_sizes"],
            wiki_pages=config["synthetic"]["wiki_pages"],
        script:
            "../workflow_scripts/make_synthetic_data.py"
