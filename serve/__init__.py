"""Serving: the exported-policy loader (no RLlib) and the Ray Serve application (POST /recommend)."""
