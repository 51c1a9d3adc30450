"""dpo package."""
