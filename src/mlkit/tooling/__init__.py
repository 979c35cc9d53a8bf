"""Repository tooling, apart from the stage components: it runs around the pipeline, never inside a stage.

- `mlkit.tooling.pr_report`: the pull-request report against a base revision and the baseline, with
  `mlkit.tooling.gates` (regression, lift and reproducibility gates), `mlkit.tooling.markdown` (its text),
  `mlkit.tooling.pr_format` (its values), `mlkit.tooling.overlay` (its plots), `mlkit.tooling.base_run` (the base's predictions, paired intervals)
  and `mlkit.tooling.git` (files at a revision, the re-run check);
- `mlkit.tooling.sweep_grid`: a sweep's grid checked, expanded into named runs and sharded over machines,
  run as queued DVC experiments by `mlkit.tooling.experiment_queue` (workers, timeout, failure reasons)
  and shared between clones by `mlkit.tooling.experiment_sharing` (experiment refs pushed and pulled);
- `mlkit.tooling.verify`: re-run the pipeline from scratch and fail on any difference from git;
- `mlkit.tooling.wheel`: mlkit's byte-identical wheel;
- `mlkit.tooling.new`: `make new`, a project generated from a table (the copier template, checked first),
  with `mlkit.tooling.new_request` (the arguments and the table, checked), `mlkit.tooling.new_answers`
  (copier's answers: the features, the time split, the baseline's groups) and `mlkit.tooling.new_lock`
  (the project's hashed lock, cut from this repository's);
- `mlkit.tooling.remote`: `make push` / `make pull` with the remote named in every refusal;
- `mlkit.tooling.cache_check`: every cache object `dvc.lock` names, rehashed before it is used;
- `mlkit.tooling.stale_locks`: DVC's lock entries of ended processes dropped before `make repro`.
"""
