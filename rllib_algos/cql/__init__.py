"""cql package."""
