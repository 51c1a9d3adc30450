"""torch package."""
