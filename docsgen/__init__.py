"""Every figure that README.md and the docs show, rendered from the committed files that hold it.

Nothing here is typed by hand: a figure is a function of `metrics/*.json`, `params.yaml`, `dvc.yaml`,
the Makefile, `benchmarks/results.json` or `scale.json`, `reports/sweep/sweep.csv` or
`plots/evaluate/*.csv`, all tracked by git, so `make docs` in a fresh clone needs no pipeline run.

In a Markdown file a figure sits between two markers, which `python -m docsgen --write` rewrites:

    <!-- fig:results -->
    ...generated...
    <!-- /fig -->

A block figure (a table) is written on lines of its own, an inline one inside a sentence. Besides the
named figures of `docsgen.render.FIGURES`, an inline figure can be one value of a committed file, by a
dotted path: `param.label.delay_minutes` (from params.yaml), `count.data_quality.prepare.status_counts.
cancelled` (a count with thousands separators), `share.split.test.positive_rate` (a percentage),
`metric.evaluate.model.roc_auc` (four decimals; `metric3.` three); the files are metrics/<name>.json, and
`bench` is benchmarks/results.json. The docs' build hook (docs/hooks.py) renders the same markers afresh;
`tests/unit/test_docs.py` fails when a committed file is not what this package writes, so a change that
moves a number and not its text fails.

    python -m docsgen --write   # rewrite README.md, docs/**/*.md and docs/images/*.png (make docs)
    python -m docsgen --check   # exit 1 naming every stale file
"""
