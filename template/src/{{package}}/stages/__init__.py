"""Stage entry points, one per dvc.yaml stage and named after it: each hands params.yaml and the
project to the stage of mlkit.tabular_stages of the same name."""
