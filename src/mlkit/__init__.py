"""Domain-agnostic components of a reproducible DVC pipeline.

Nothing in this package knows the domain of the pipeline that uses it: the next pipeline starts from it.
"""
