"""The synthetic shop: a seeded world (catalogue + users) that writes logged sessions and knows the truth.

Logs come from a realistic, biased logging process. At every step the shop's logging recommender shows
a slate sampled from a popularity prior (and, after the first click, partly from the category of the
last clicked item); the user clicks one slate item by utility, or uses their own search (an outside
option with utility ``search_utility``), which samples the whole catalogue by utility. With the
defaults ~23% of clicks come from search and the rest from logged slates, so logged popularity mostly
reflects exposure. A clicked item is bought with probability increasing in utility; a purchase is
logged as a second event on the same item right after its click. The ground truth (``true_utility``,
``purchase_probability``) is the model the logs were drawn from, so policies can be evaluated online
(``online_eval``), which real logs cannot do.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from learec.platform.common.fields import Checked, opt
from learec.platform.data import schema
from learec.platform.data.raw import RawLogs
from learec.platform.sim import users as behaviour_model
from learec.platform.sim.catalogue import MAX_CATEGORIES, Catalogue, make_catalogue
from learec.platform.sim.users import Behaviour, Users, make_users

log = logging.getLogger(__name__)

SOURCE = "synthetic-shop"
USER_ID = "user_id"  # column of ``ShopLogs.sessions`` (sim-only, so not in data/schema.py)
_WORLD, _USERS, _SESSIONS = 0, 1, 2  # RNG stream tags: the world is fixed by config.seed alone
_CELLS_PER_BLOCK = 1 << 22  # rows x items scored at once when users search the whole catalogue
_SESSIONS_PER_CHUNK = 1 << 15


@dataclass(frozen=True)
class ShopConfig(Checked):
    """The synthetic shop. Defaults give ~2000 sessions x ~9 events in about a second."""

    n_items: int = opt(400, "catalogue size; item i has raw id sku-000i", ge=1, le=1_000_000)
    n_categories: int = opt(8, "product categories; each is a taste cluster", ge=1, le=MAX_CATEGORIES)
    n_users: int = opt(
        500, "users; each session belongs to one, drawn by a log-normal activity", ge=1, le=10_000_000
    )
    n_sessions: int = opt(2000, "sessions that generate() writes unless told otherwise", ge=1, le=100_000_000)
    latent_dim: int = opt(8, "width d of the latent item and taste vectors", ge=1, le=1024)
    mean_session_len: float = opt(8.0, "mean clicks per session (a purchase adds one more event)")
    min_session_len: int = opt(
        3, "fewest clicks per session; >= 3 so SQN preprocessing (> 2 events) keeps it", ge=1, le=10_000
    )
    max_session_len: int = opt(
        50, "most clicks per session (the geometric tail is cut here)", ge=1, le=10_000
    )
    drift: float = opt(0.3, "how far the session taste moves toward each viewed item (0: static)", ge=0, le=1)
    taste_strength: float = opt(
        2.0,
        "norm of users' taste vectors: higher makes utility more personal and less popularity-driven",
        gt=0,
    )
    quality_std: float = opt(
        0.5, "spread of item quality, the utility every user shares (shown as rating)", ge=0
    )
    choice_temperature: float = opt(
        0.6, "softmax temperature of the option a user clicks (lower: greedier)", gt=0
    )
    purchase_bias: float = opt(3.2, "utility at which a clicked item is bought with probability 0.5")
    purchase_temperature: float = opt(
        0.4, "slope of the purchase sigmoid in utility units (lower: sharper)", gt=0
    )
    repeat_penalty: float = opt(1.5, "utility lost by an item already viewed in the session", ge=0)
    logging_slate_size: int = opt(10, "items the logging recommender shows per step", ge=1, le=1000)
    logging_category_share: float = opt(
        0.5, "share of the logging slate drawn from the last clicked item's category", ge=0, le=1
    )
    popularity_skew: float = opt(1.0, "log-normal sigma of the logging recommender's popularity prior", ge=0)
    search_utility: float = opt(
        2.0, "utility of the user's own search, the outside option to the logged slate (higher: less bias)"
    )
    leave_utility: float = opt(1.0, "online evaluation: utility of leaving instead of clicking a slate item")
    start_ts: int = opt(1_700_000_000, "unix time of the first session", ge=0)
    span_days: float = opt(30.0, "session starts are spread uniformly over this many days", gt=0)
    seed: int = opt(0, "fixes the world (catalogue, users) and, by default, the generated sessions")

    def __post_init__(self) -> None:
        super().__post_init__()  # declared ranges (opt ge/gt/le); rules across fields below
        if self.n_items < self.n_categories:
            raise ValueError(
                f"shop.n_items ({self.n_items}) must be >= shop.n_categories ({self.n_categories})"
            )
        if self.max_session_len < self.min_session_len:
            raise ValueError(
                f"shop.max_session_len ({self.max_session_len}) must be >= shop.min_session_len "
                f"({self.min_session_len})"
            )
        if not self.min_session_len <= self.mean_session_len <= self.max_session_len:
            raise ValueError(
                f"shop.mean_session_len must be in [min_session_len, max_session_len] = "
                f"[{self.min_session_len}, {self.max_session_len}], got {self.mean_session_len}"
            )


@dataclass(frozen=True)
class ShopLogs:
    """Generated logs: ``events`` in ``schema.RAW_EVENTS``, ``items`` in ``schema.ITEMS`` and ``sessions``
    (``session_id`` int64, ``user_id`` int64; one row per session, session ids in start-time order).

    ``impressions`` (only when asked for): one row per click step with what the logging recommender
    showed, which real logs rarely keep: ``session_id``, ``step`` (0-based click index), ``slate``
    (shop item indices, drawn with replacement), ``propensity`` (each slate item's probability of being in
    a slate at that state: the logging policy's exposure propensity), ``clicked`` (shop index),
    ``from_slate`` (false: the user found it by search) and ``bought``.
    """

    events: pa.Table
    items: pa.Table
    sessions: pa.Table
    impressions: pa.Table | None = None

    def to_raw(self) -> RawLogs:
        return RawLogs(self.events, self.items, user_level=False, source=SOURCE)


class SyntheticShop:
    """A deterministic function of its config: the same config gives identical catalogue, users and logs."""

    def __init__(self, config: ShopConfig | None = None) -> None:
        self.config = config or ShopConfig()
        c = self.config
        self.catalogue: Catalogue = make_catalogue(
            c.n_items,
            c.n_categories,
            c.latent_dim,
            c.quality_std,
            c.popularity_skew,
            np.random.default_rng([c.seed, _WORLD]),
        )
        self.users: Users = make_users(
            c.n_users, self.catalogue, c.taste_strength, np.random.default_rng([c.seed, _USERS])
        )
        self.behaviour = Behaviour(
            drift=c.drift,
            taste_strength=c.taste_strength,
            choice_temperature=c.choice_temperature,
            purchase_bias=c.purchase_bias,
            purchase_temperature=c.purchase_temperature,
            repeat_penalty=c.repeat_penalty,
        )
        self.raw_ids: list[str] = self.catalogue.raw_ids()
        self._index = {r: i for i, r in enumerate(self.raw_ids)}
        self._items: pa.Table | None = None
        # Logging recommender: global exposure CDF, and per-category CDFs over items sorted by category.
        cat = self.catalogue
        self._cdf = np.cumsum(cat.exposure)
        self._by_cat = np.argsort(cat.category, kind="stable")
        self._cat_cdf = np.cumsum(cat.exposure[self._by_cat])
        bounds = np.searchsorted(cat.category[self._by_cat], np.arange(c.n_categories + 1))
        self._cat_lo, self._cat_hi = bounds[:-1], bounds[1:]  # [C] positions in _by_cat

    # catalogue --------------------------------------------------------------------------------------
    @property
    def n_items(self) -> int:
        return self.catalogue.n_items

    def items(self) -> pa.Table:
        """The catalogue in ``schema.ITEMS`` (``item_id`` = shop index, raw ids ``sku-0042``)."""
        if self._items is None:
            self._items = self.catalogue.table()
        return self._items

    def index_of(self, raw_ids: Sequence[str], strict: bool = True) -> np.ndarray:
        """[n] int64 shop indices of ``raw_ids``; unknown ids raise a ValueError, or give -1 if not strict."""
        out = np.fromiter(
            (self._index.get(r, -1) if isinstance(r, str) else -1 for r in raw_ids),
            dtype=np.int64,
            count=len(raw_ids),
        )
        if strict and (out < 0).any():
            bad = [r for r, i in zip(raw_ids, out, strict=True) if i < 0][:3]
            raise ValueError(
                f"unknown item ids {bad!r}; the shop's ids are {self.raw_ids[0]}..{self.raw_ids[-1]}"
            )
        return out

    # ground truth -----------------------------------------------------------------------------------
    def true_utility(self, user_ids: np.ndarray, histories: Sequence[Sequence[str]]) -> np.ndarray:
        """[B, n_items] float32: every item's utility for user ``user_ids[b]`` after viewing ``histories[b]``
        (raw ids, oldest first) in this session: taste drift applied, viewed items penalised."""
        user_ids = np.asarray(user_ids, dtype=np.int64)
        if user_ids.ndim != 1 or len(user_ids) != len(histories):
            raise ValueError(
                f"user_ids must be [B] with B = len(histories) = {len(histories)}, got {user_ids.shape}"
            )
        if len(user_ids) and (user_ids.min() < 0 or user_ids.max() >= self.users.n_users):
            raise ValueError(
                f"user_ids must be in [0, {self.users.n_users}), got {user_ids.min()}..{user_ids.max()}"
            )
        hist = _pad([self.index_of(h) for h in histories])  # [B, T], -1 padded on the right
        return self._utility_after(user_ids, hist)

    def purchase_probability(self, user_ids: np.ndarray, histories: Sequence[Sequence[str]]) -> np.ndarray:
        """[B, n_items]: the probability that a click on each item turns into a purchase,
        ``sigmoid((true_utility - purchase_bias) / purchase_temperature)``."""
        return behaviour_model.purchase_probability(self.true_utility(user_ids, histories), self.behaviour)

    def session_taste(self, user_ids: np.ndarray, hist: np.ndarray) -> np.ndarray:
        """[B, d] session taste of users ``user_ids`` [B] after index histories ``hist`` [B, T]
        (right-padded with -1): the long-term taste drifted toward each viewed item in turn."""
        taste = self.users.taste[user_ids].copy()
        for t in range(hist.shape[1]):
            rows = np.nonzero(hist[:, t] >= 0)[0]
            viewed = self.catalogue.vectors[hist[rows, t]]
            taste[rows] = behaviour_model.drift_taste(taste[rows], viewed, self.behaviour)
        return taste

    def _utility_after(self, user_ids: np.ndarray, hist: np.ndarray) -> np.ndarray:
        util = behaviour_model.base_utility(
            self.session_taste(user_ids, hist), self.users.price_sensitivity[user_ids], self.catalogue
        )
        rows, cols = np.nonzero(hist >= 0)
        seen = np.zeros(util.shape, dtype=bool)
        seen[rows, hist[rows, cols]] = True
        util -= np.float32(self.behaviour.repeat_penalty) * seen
        return util

    # log generation ---------------------------------------------------------------------------------
    def generate(
        self, n_sessions: int | None = None, seed: int | None = None, impressions: bool = False
    ) -> ShopLogs:
        """Simulate ``n_sessions`` (default ``config.n_sessions``) logged sessions in the same world.

        ``seed`` (default ``config.seed``) only changes the sessions; catalogue and users stay those of
        ``config.seed``, so logs drawn with several seeds share ids, text and ground truth.
        ``impressions`` also records the logged slates and their propensities (the events are the same
        either way: recording draws no random numbers).
        """
        c = self.config
        n = c.n_sessions if n_sessions is None else int(n_sessions)
        if n < 1:
            raise ValueError(f"n_sessions must be >= 1, got {n}")
        rng = np.random.default_rng([c.seed if seed is None else int(seed), _SESSIONS])
        # Clicks per session: min + geometric tail with the configured mean, cut at max_session_len.
        extra = c.mean_session_len - c.min_session_len
        tail = rng.geometric(1.0 / (1.0 + extra), n) - 1 if extra > 0 else np.zeros(n, dtype=np.int64)
        lengths = np.minimum(c.min_session_len + tail, c.max_session_len).astype(np.int64)
        user_ids = rng.choice(self.users.n_users, size=n, p=self.users.activity).astype(np.int64)
        starts = np.sort(rng.uniform(0.0, c.span_days * 86400.0, n)).astype(np.int64) + c.start_ts

        parts = []
        shown: list[dict[str, np.ndarray]] | None = [] if impressions else None
        for lo in range(0, n, _SESSIONS_PER_CHUNK):
            hi = min(n, lo + _SESSIONS_PER_CHUNK)
            items, bought = self._simulate(user_ids[lo:hi], lengths[lo:hi], rng, shown, offset=lo)
            ids = np.arange(lo, hi, dtype=np.int64)
            parts.append(_events(ids, starts[lo:hi], lengths[lo:hi], items, bought, rng))
        session = np.concatenate([p[0] for p in parts])
        ts = np.concatenate([p[1] for p in parts])
        item = np.concatenate([p[2] for p in parts])
        is_buy = np.concatenate([p[3] for p in parts])

        events = pa.table(
            {
                schema.SESSION_ID: pa.array(session),
                schema.TS: pa.array(ts),
                schema.RAW_ID: self.items().column(schema.RAW_ID).take(pa.array(item)).combine_chunks(),
                schema.EVENT: pa.array(list(schema.EVENT_TYPES)).take(pa.array(is_buy.astype(np.int64))),
            },
            schema=schema.RAW_EVENTS,
        )
        sessions = pa.table(
            {schema.SESSION_ID: pa.array(np.arange(n, dtype=np.int64)), USER_ID: pa.array(user_ids)}
        )
        log.info(
            "synthetic shop: %d sessions, %d events, %.1f%% purchases",
            n,
            len(session),
            100.0 * is_buy.mean() if len(is_buy) else 0.0,
        )
        table = _impressions_table(shown) if shown is not None else None
        return ShopLogs(events=events, items=self.items(), sessions=sessions, impressions=table)

    def _logging_slate(self, last: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """[S, K] slates of the logging recommender, sampled with replacement: popularity-prior slots, and
        ``logging_category_share`` of them from the last clicked item's category (``last`` [S], -1: none)."""
        c = self.config
        k = c.logging_slate_size
        slate = np.searchsorted(self._cdf, rng.random((len(last), k)) * self._cdf[-1], side="right")
        n_cat = round(k * c.logging_category_share)
        rows = np.nonzero(last >= 0)[0]
        if n_cat and len(rows):
            cat = self.catalogue.category[last[rows]]
            lo, hi = self._cat_lo[cat], self._cat_hi[cat]  # [R]
            base = np.where(lo > 0, self._cat_cdf[np.maximum(lo - 1, 0)], 0.0)
            top = self._cat_cdf[hi - 1]
            u = base[:, None] + rng.random((len(rows), n_cat)) * (top - base)[:, None]
            pos = np.searchsorted(self._cat_cdf, u, side="right")
            pos = np.clip(pos, lo[:, None], hi[:, None] - 1)
            slate[rows, :n_cat] = self._by_cat[pos]
        return np.minimum(slate, self.n_items - 1)

    def exposure_propensity(self, slate: np.ndarray, last: np.ndarray) -> np.ndarray:
        """[S, K] probability that each item of ``slate`` [S, K] is in a logging slate drawn after the last
        click ``last`` [S] (-1: none): one minus the chance that every slot misses it (slots are independent
        draws, see :meth:`_logging_slate`)."""
        c, cat = self.config, self.catalogue
        k = c.logging_slate_size
        n_cat = round(k * c.logging_category_share)
        p_pop = cat.exposure / cat.exposure.sum()
        miss = (1.0 - p_pop[slate]) ** k
        rows = np.nonzero(last >= 0)[0]
        if n_cat and len(rows):
            cat_of_last = cat.category[last[rows]]  # [R]
            cat_total = np.bincount(cat.category, weights=cat.exposure, minlength=c.n_categories)
            items = slate[rows]
            p_cat = np.where(
                cat.category[items] == cat_of_last[:, None],
                cat.exposure[items] / cat_total[cat_of_last, None],
                0.0,
            )
            miss[rows] = (1.0 - p_pop[items]) ** (k - n_cat) * (1.0 - p_cat) ** n_cat
        return 1.0 - miss

    def _simulate(
        self,
        user_ids: np.ndarray,
        lengths: np.ndarray,
        rng: np.random.Generator,
        shown: list[dict[str, np.ndarray]] | None = None,
        offset: int = 0,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Run sessions step by step, all live sessions at once. Returns clicked items and purchase flags,
        both [S, T] (right-padded with -1 / False beyond each session's length). With ``shown``, each step's
        slates are appended to it (session ids start at ``offset``)."""
        cat, beh, u = self.catalogue, self.behaviour, self.users
        s_n, t_max = len(user_ids), int(lengths.max())
        taste, lam = u.taste[user_ids].copy(), u.price_sensitivity[user_ids]
        hist = np.full((s_n, t_max), -1, dtype=np.int64)
        bought = np.zeros((s_n, t_max), dtype=bool)
        inv_temp = np.float32(1.0 / beh.choice_temperature)
        penalty = np.float32(beh.repeat_penalty)
        for t in range(t_max):
            live = np.nonzero(lengths > t)[0]
            past = hist[live, :t]  # [S, t]
            last = hist[live, t - 1] if t else np.full(len(live), -1)
            slate = self._logging_slate(last, rng)  # [S, K]
            util = behaviour_model.base_utility(taste[live], lam[live], cat, slate)
            if t:
                util -= penalty * (slate[:, :, None] == past[:, None, :]).any(-1)
            search = np.full((len(live), 1), self.config.search_utility, np.float32)
            scores = np.concatenate([util, search], axis=1)  # [S, K + 1], last column: own search
            choice = np.argmax(scores * inv_temp + behaviour_model.gumbel(rng, scores.shape), axis=1)
            searched = np.nonzero(choice == slate.shape[1])[0]
            rows = np.arange(len(live))
            keep = np.minimum(choice, slate.shape[1] - 1)
            item = slate[rows, keep]
            chosen_util = util[rows, keep]
            if len(searched):
                item[searched], chosen_util[searched] = self.sample_search(
                    taste[live[searched]], lam[live[searched]], past[searched], rng
                )
            buy = rng.random(len(live)) < behaviour_model.purchase_probability(chosen_util, beh)
            hist[live, t] = item
            bought[live, t] = buy
            if shown is not None:
                from_slate = np.ones(len(live), dtype=bool)
                from_slate[searched] = False
                shown.append(
                    {
                        "session_id": live + offset,
                        "step": np.full(len(live), t),
                        "slate": slate,
                        "propensity": self.exposure_propensity(slate, last),
                        "clicked": item,
                        "from_slate": from_slate,
                        "bought": buy,
                    }
                )
            taste[live] = behaviour_model.drift_taste(taste[live], cat.vectors[item], beh)
        return hist, bought

    def sample_search(
        self, taste: np.ndarray, lam: np.ndarray, past: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """The user's own search: one item per row sampled from softmax(U / choice_temperature) over the
        whole catalogue for session tastes ``taste`` [R, d], price sensitivities ``lam`` [R] and viewed
        items ``past`` [R, t] (penalised). Scored in row blocks so memory stays bounded for large
        catalogues. Returns items [R] and their utilities [R]."""
        n_rows = len(taste)
        block = max(1, _CELLS_PER_BLOCK // self.n_items)
        items = np.empty(n_rows, dtype=np.int64)
        utils = np.empty(n_rows, dtype=np.float32)
        inv_temp = np.float32(1.0 / self.behaviour.choice_temperature)
        for lo in range(0, n_rows, block):
            hi = min(n_rows, lo + block)
            util = behaviour_model.base_utility(taste[lo:hi], lam[lo:hi], self.catalogue)
            if past.shape[1]:
                r = np.repeat(np.arange(hi - lo), past.shape[1])
                # an item viewed twice is penalised once: fancy-index assignment does not accumulate
                util[r, past[lo:hi].ravel()] -= np.float32(self.behaviour.repeat_penalty)
            pick = np.argmax(util * inv_temp + behaviour_model.gumbel(rng, util.shape), axis=1)
            items[lo:hi] = pick
            utils[lo:hi] = util[np.arange(hi - lo), pick]
        return items, utils


def _impressions_table(shown: list[dict[str, np.ndarray]]) -> pa.Table:
    """One row per click step, sorted by session and step."""
    cols = {name: np.concatenate([s[name] for s in shown]) for name in shown[0]} if shown else {}
    if not cols:
        return pa.table({"session_id": pa.array([], pa.int64())})
    order = np.lexsort((cols["step"], cols["session_id"]))
    k = cols["slate"].shape[1]

    def lists(values: np.ndarray, kind: pa.DataType) -> pa.Array:
        return pa.FixedSizeListArray.from_arrays(pa.array(values[order].ravel(), kind), k)

    return pa.table(
        {
            "session_id": pa.array(cols["session_id"][order].astype(np.int64)),
            "step": pa.array(cols["step"][order].astype(np.int64)),
            "slate": lists(cols["slate"], pa.int64()),
            "propensity": lists(cols["propensity"], pa.float64()),
            "clicked": pa.array(cols["clicked"][order].astype(np.int64)),
            "from_slate": pa.array(cols["from_slate"][order]),
            "bought": pa.array(cols["bought"][order]),
        }
    )


def _pad(rows: list[np.ndarray]) -> np.ndarray:
    """[B, T] int64, right-padded with -1."""
    width = max((len(r) for r in rows), default=0)
    out = np.full((len(rows), width), -1, dtype=np.int64)
    for b, r in enumerate(rows):
        out[b, : len(r)] = r
    return out


def _events(
    session_ids: np.ndarray,  # [S]
    starts: np.ndarray,  # [S] unix seconds
    lengths: np.ndarray,  # [S]
    items: np.ndarray,  # [S, T]
    bought: np.ndarray,  # [S, T]
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Flatten simulated steps into event rows: each click, then its purchase (if any) as a second row.
    Timestamps strictly increase within a session: 1 s + exponential dwell (mean 40 s after a click's
    predecessor, 15 s from a click to its purchase)."""
    valid = np.arange(items.shape[1])[None, :] < lengths[:, None]  # [S, T], row-major = session, step
    click_item = items[valid]
    click_buy = bought[valid]
    click_session = np.repeat(session_ids, lengths)
    reps = 1 + click_buy.astype(np.int64)
    item = np.repeat(click_item, reps)
    session = np.repeat(click_session, reps)
    is_buy = np.zeros(len(item), dtype=bool)
    is_buy[np.cumsum(reps)[click_buy] - 1] = True
    gaps = 1 + np.floor(rng.exponential(1.0, len(item)) * np.where(is_buy, 15.0, 40.0)).astype(np.int64)
    n_events = lengths + bought.sum(axis=1)  # [S]
    first = np.concatenate([[0], np.cumsum(n_events)[:-1]])  # [S] row of each session's first event
    gaps[first] = 0
    total = np.cumsum(gaps)
    ts = np.repeat(starts - total[first], n_events) + total
    return session, ts, item, is_buy
