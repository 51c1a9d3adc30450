"""Plain Python job entry points (``python -m learec.platform.jobs.<name>``), usable by ``ray job submit``."""
