"""le package."""
