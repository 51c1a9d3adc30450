"""Offline evaluation: full-ranking HR/NDCG for clicks and purchases (SQN protocol), seed aggregation,
baselines, and the run report (``report.md`` + PNG plots).

Modules: ``ranking`` (rank of the target under a full sort), ``metrics`` (registry of per-event metrics),
``protocol`` (``EvalConfig``, ``evaluate``, ``aggregate_seeds``), ``baselines`` (most popular, random),
``report`` / ``plots`` (markdown and matplotlib, imported lazily).
"""
