"""rllib_algos package."""
