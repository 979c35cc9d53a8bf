"""Domain-agnostic components of a reproducible DVC pipeline.

Nothing in this package knows the domain of the pipeline that uses it: the next pipeline starts from it.
A pipeline writes its own vocabulary, table rules, features and one thin entry point per stage, and calls:

- running a stage: `mlkit.stage` (pinned threads, params read once, bad input as one line and exit 1),
  `mlkit.runtime` (threads and processes), `mlkit.errors`, `mlkit.config` (`params.yaml` and its checks),
  `mlkit.commands` (git and DVC);
- data: `mlkit.io` (atomic, byte-stable files), `mlkit.streaming` (tables larger than memory, a row group
  at a time), `mlkit.validation` (hard and soft table rules),
  `mlkit.fields` and `mlkit.records` (one field table as pandera and pydantic rules), `mlkit.eda`,
  `mlkit.context` (features taken from other rows and earlier periods), `mlkit.split`;
- models: `mlkit.baselines`, `mlkit.backtest` (the validation protocol), `mlkit.metrics` (names and
  directions), `mlkit.evaluation` (against the baseline: metrics, curves, slices, importance),
  `mlkit.bootstrap` (intervals of a delta), `mlkit.persistence` (byte-stable skops files);
- delivery: `mlkit.plots`, `mlkit.report` (a self-contained HTML page), `mlkit.report_format` (values and
  tables as a reader should see them), `mlkit.scoring` (batch scoring with a quarantine), `mlkit.drift`,
  `mlkit.serving` (the HTTP service: the locked model, request logging and limits, an optional bearer
  token; its request model comes from a field table through `mlkit.records`), `mlkit.service_process`
  (a service on a loopback port, for tests, benchmarks and smoke checks);
- a whole single-table project, as `make new` generates it: `mlkit.profile` (a table's profile written as
  an editable pandera schema), `mlkit.tabular` (the default baseline's columns, a stratified split, the
  model families), `mlkit.tabular_stages` (the ten stages) and `mlkit.tabular_delivery` (service, batch
  scoring, PR report);
- `mlkit.tooling`: the repository tooling around the stages (PR report and gates, sweeps, verify, wheel).
"""
