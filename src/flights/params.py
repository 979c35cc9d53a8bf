"""The params schema: every key of params.yaml, and the one loader that stages, `make predict` and the
service read them with."""

from pathlib import Path

from flights import paths

ANY = None  # a value of any form, checked where it is read
# Every key of params.yaml; a stage refuses a file with other keys or fewer (value rules live where each
# value is read). A new parameter is added here and in params.yaml.
PARAMS_SHAPE = {
    "data": dict.fromkeys(["source", "months", "sample_fraction", "seed"]),
    "validate": {
        "min_join_coverage": dict.fromkeys(
            ["weather", "planes", "airlines", "origin_airports", "dest_airports"]
        )
    },
    "label": dict.fromkeys(["policy", "delay_minutes"]),
    "explore": dict.fromkeys(["top_n", "min_group_rows"]),
    "split": dict.fromkeys(["fit_months", "valid_months", "test_months"]),
    "baseline": dict.fromkeys(["group_by", "smoothing"]),
    "features": dict.fromkeys(["weather"]),
    "train": {
        "model": ANY,
        "hgb": dict.fromkeys(
            ["learning_rate", "max_iter", "max_leaf_nodes", "min_samples_leaf", "l2_regularization", "seed"]
        ),
        "logreg": dict.fromkeys(["C", "max_iter", "min_category_rows", "impute"]),
    },
    "evaluate": dict.fromkeys(["slices", "min_slice_rows", "importance_rows", "importance_repeats", "seed"]),
    "score": dict.fromkeys(["month", "max_rejected_share"]),
    "monitor": dict.fromkeys(["psi_bins", "psi_flag", "reference_rows", "seed"]),
    "serve": dict.fromkeys(["max_flights"]),
    "gates": {"tolerance": ANY, "min_lift": ANY},  # metric names, checked by mlkit.tooling.pr_report
}


def project_params(path: Path = paths.PARAMS) -> dict:
    """params.yaml with exactly the known keys: what every stage, `make predict` and the service read."""
    from mlkit.config import check_shape, load_params

    params = load_params(path)
    check_shape(params, PARAMS_SHAPE)
    return params
