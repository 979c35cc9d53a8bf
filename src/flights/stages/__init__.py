"""Stage entry points, one per dvc.yaml stage and named after it: each reads its params, calls library
functions and writes its declared outputs."""
