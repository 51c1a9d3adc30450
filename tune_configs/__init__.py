"""tune_configs package."""
