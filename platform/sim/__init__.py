"""The embedded synthetic shop: a text catalogue, users with drifting tastes, logged sessions and a
ground-truth utility, plus online evaluation of recommendation policies against simulated users."""

from learec.platform.sim.online_eval import (
    RecommendFn,
    evaluate_oracle,
    evaluate_policy,
    popularity_policy,
    random_policy,
)
from learec.platform.sim.shop import ShopConfig, ShopLogs, SyntheticShop

__all__ = [
    "RecommendFn",
    "ShopConfig",
    "ShopLogs",
    "SyntheticShop",
    "evaluate_oracle",
    "evaluate_policy",
    "popularity_policy",
    "random_policy",
]
