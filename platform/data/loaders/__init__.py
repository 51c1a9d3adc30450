"""loaders package."""
