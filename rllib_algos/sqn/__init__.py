"""sqn package."""
