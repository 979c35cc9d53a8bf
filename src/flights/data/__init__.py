"""The data stages: ingest, validate, prepare and explore the raw tables."""
