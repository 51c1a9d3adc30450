"""snqn package."""
