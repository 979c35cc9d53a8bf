"""Domain-agnostic components of a reproducible DVC pipeline.

Nothing in this package knows about flights: the next pipeline starts from it.
"""
