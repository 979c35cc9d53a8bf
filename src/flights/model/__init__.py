"""The model: features derived inside the saved Pipeline, the model families and the model card."""
