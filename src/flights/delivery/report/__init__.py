"""The end users' report: what the data say, how good they are, and (once trained) what the model does.

One module per part, in the order a reader meets them: `headline` (the first screen, drawing on every
part), `data` (the data and their quality), `model` (the model against the baseline) and `batch` (the
latest batch and its drift); `labels` holds the names for keys they all share. The `report` stage depends
on this folder.
"""
