"""The report's names for keys (`LABELS`) and its section, which uses them: shared by every part."""

from mlkit.report import Section
from mlkit.report_format import Labels

LABELS = Labels(
    {
        "hgb": "gradient-boosted trees",
        "logreg": "logistic regression",
        "dest": "destination",
        "sched_dep_time": "scheduled departure",
        "sched_arr_time": "scheduled arrival",
        "flight": "flight number",
        "missing_weather": "flights lacking some weather",
        "unseen_dest": "destinations unseen in training",
        "rejected": "rejected (quarantined)",
        "flagged_share": "flagged as disrupted",
        "model_version": "model version (file md5)",
        "l2_regularization": "L2 regularization",
        "max_iter": "boosting rounds",
        "dep_minute": "scheduled departure (minute of day)",
        "arr_minute": "scheduled arrival (minute of day)",
        "dewp": "dew point",
        "humid": "humidity",
        "visib": "visibility",
        "precip": "precipitation",
        "temp": "temperature",
        "wind_dir": "wind direction",
        "days_to_holiday": "days to a holiday",
        "days_from_holiday": "days since a holiday",
        "block_minutes": "scheduled block time",
        "positive_rate": "disrupted rate",
        "not_nullable": "not missing",
        "less_than_or_equal_to": "at most",
        "greater_than_or_equal_to": "at least",
        "dest_airports": "destination airports",
        "origin_airports": "origin airports",
    }
)


def section(title: str) -> Section:
    """A report section that names keys with the flights labels."""
    return Section(title, labels=LABELS)
