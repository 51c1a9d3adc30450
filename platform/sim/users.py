"""Simulated users: latent tastes, in-session taste that drifts, and the utility, choice and purchase model.

Utility of item i for a user whose session taste is h ([d]):

    U(i) = h . v_i + q_i - lambda_u * price_i - repeat_penalty * [i already viewed in this session]

h starts at the user's long-term taste u (norm s, the taste strength) and after each viewed item a moves
toward it: h <- (1 - drift) * h + drift * s * v_a / |v_a|. The norm stays about s, so drift re-aims
preferences without inflating utility; a session about category c raises the utility of category c.
A user clicks one option with probability softmax(U / choice_temperature) over the options offered, and
buys a clicked item with probability sigmoid((U - purchase_bias) / purchase_temperature).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from learec.platform.sim.catalogue import COLOURS, Catalogue


@dataclass(frozen=True)
class Users:
    """The user population (index = user id)."""

    taste: np.ndarray  # [U, d] float32, long-term taste u
    price_sensitivity: np.ndarray  # [U] float32, lambda_u >= 0
    activity: np.ndarray  # [U] float64, share of sessions, sums to 1
    favourite_category: np.ndarray  # [U] int64

    @property
    def n_users(self) -> int:
        return len(self.activity)


def make_users(n_users: int, catalogue: Catalogue, taste_strength: float, rng: np.random.Generator) -> Users:
    """Tastes built from the catalogue's factors: a favourite category (weight 1), a second one (0.4),
    a favourite colour (0.5) and noise (0.3), scaled to norm ``taste_strength``. Activity is log-normal,
    so a few users have many sessions, as in real logs."""
    n_cat = len(catalogue.category_vectors)
    d = catalogue.vectors.shape[1]
    fav = rng.integers(0, n_cat, n_users)
    second = rng.integers(0, n_cat, n_users)
    # The colour direction is read off the items of that colour, so it matches what the text says.
    colour_dir = np.zeros((len(COLOURS), d))
    for c in range(len(COLOURS)):
        members = catalogue.colour == c
        if members.any():
            colour_dir[c] = catalogue.vectors[members].mean(0) - catalogue.vectors.mean(0)
    colour = rng.integers(0, len(COLOURS), n_users)
    colour_norm = np.maximum(np.linalg.norm(colour_dir[colour], axis=1, keepdims=True), 1e-9)
    taste = (
        catalogue.category_vectors[fav]
        + 0.4 * catalogue.category_vectors[second]
        + 0.5 * colour_dir[colour] / colour_norm
        + 0.3 * rng.standard_normal((n_users, d)) / np.sqrt(d)
    )
    taste = taste_strength * taste / np.linalg.norm(taste, axis=1, keepdims=True)
    activity = np.exp(0.8 * rng.standard_normal(n_users))
    return Users(
        taste=taste.astype(np.float32),
        price_sensitivity=rng.uniform(0.0, 1.0, n_users).astype(np.float32),
        activity=activity / activity.sum(),
        favourite_category=fav.astype(np.int64),
    )


@dataclass(frozen=True)
class Behaviour:
    """The behaviour constants shared by log generation, ground truth and online evaluation."""

    drift: float
    taste_strength: float
    choice_temperature: float
    purchase_bias: float
    purchase_temperature: float
    repeat_penalty: float


def drift_taste(taste: np.ndarray, item_vectors: np.ndarray, behaviour: Behaviour) -> np.ndarray:
    """[B, d]: the session taste after viewing one item per row (``item_vectors`` [B, d])."""
    d = np.float32(behaviour.drift)
    unit = item_vectors / np.linalg.norm(item_vectors, axis=-1, keepdims=True)
    return (1 - d) * taste + d * np.float32(behaviour.taste_strength) * unit


def base_utility(
    taste: np.ndarray,  # [B, d] session taste h
    price_sensitivity: np.ndarray,  # [B]
    catalogue: Catalogue,
    items: np.ndarray | None = None,  # [B, K] item indices, or None for the whole catalogue
) -> np.ndarray:
    """Utility without the repeat penalty: [B, N] for the whole catalogue or [B, K] for ``items``."""
    h = taste.astype(np.float32, copy=False)
    if items is None:
        price = price_sensitivity[:, None] * catalogue.price[None, :]
        return h @ catalogue.vectors.T + catalogue.quality[None, :] - price
    v = catalogue.vectors[items]  # [B, K, d]
    return (
        np.einsum("bd,bkd->bk", h, v)
        + catalogue.quality[items]
        - price_sensitivity[:, None] * catalogue.price[items]
    )


def purchase_probability(utility: np.ndarray, behaviour: Behaviour) -> np.ndarray:
    """sigmoid((U - purchase_bias) / purchase_temperature), any shape."""
    z = (utility - behaviour.purchase_bias) / behaviour.purchase_temperature
    return 1.0 / (1.0 + np.exp(-np.clip(z, -60.0, 60.0)))


def gumbel(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Standard Gumbel noise (float32): argmax(U / T + G) samples softmax(U / T)."""
    u = rng.random(shape, dtype=np.float32)
    return -np.log(-np.log(np.clip(u, 1e-12, 1.0 - 1e-7)))
