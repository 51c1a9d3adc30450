"""sa2c package."""
