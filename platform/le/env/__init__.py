"""The LE as a live environment: simulated sessions whose user is an LE checkpoint (see sessions.py)."""
