"""The two kinds of bad input a stage reports as a clear message and exit 1 rather than a traceback."""


class ParamError(ValueError):
    """A parameter in params.yaml is missing or out of its allowed range."""


class DataError(ValueError):
    """Input data break a rule; the message names the table, column, rule, row count and examples."""
