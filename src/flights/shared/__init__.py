"""What every stage shares: the params model, the path registry and the vocabulary of columns, one folder
that each stage of dvc.yaml declares as a dependency."""
