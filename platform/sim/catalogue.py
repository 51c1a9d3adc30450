"""The synthetic shop's catalogue: items with a category, attributes, a price band and a latent vector.

Every latent factor an item has is written into its text, so a language model that reads item text can
learn what drives utility: the item vector is the sum of its category, colour, material and style
vectors plus a small item-specific residual; quality is shown as a star rating, price as a price band.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from learec.platform.data import schema

# One category per line: department | product type | singular noun | 5 materials | 5 styles (fixed order).
_CATEGORY_TABLE = """
outdoor | socks | sock | wool merino cotton nylon bamboo | hiking running trail everyday thermal
kitchen | knives | knife | steel carbon ceramic damascus titanium | chef paring bread santoku utility
home | lamps | lamp | brass oak marble glass linen | desk floor bedside reading pendant
fashion | jackets | jacket | leather denim wool nylon cotton | bomber rain puffer field biker
sports | yoga mats | yoga mat | cork rubber tpe pvc jute | travel thick hot-yoga studio eco
office | notebooks | notebook | paper leather kraft linen recycled | dotted lined grid pocket spiral
garden | planters | planter | terracotta ceramic concrete wood zinc | hanging window raised wall tabletop
audio | headphones | headset | aluminium plastic leather fabric carbon | wireless studio gaming sport over-ear
kitchen | mugs | mug | ceramic porcelain glass enamel stoneware | travel espresso classic insulated handmade
home | cushions | cushion | velvet linen cotton wool faux-fur | square bolster floor outdoor lumbar
fashion | sneakers | sneaker | leather suede canvas mesh knit | running court skate retro trail
sports | bottles | bottle | steel glass tritan aluminium silicone | insulated sports collapsible filter kids
office | chairs | chair | mesh leather fabric oak steel | ergonomic gaming drafting executive kneeling
garden | gloves | glove | leather nitrile cotton bamboo latex | pruning digging thorn-proof lightweight winter
toys | puzzles | puzzle | wood cardboard foam plastic metal | jigsaw 3d logic floor travel
toys | plushes | plush | cotton fleece velour minky organic-cotton | bear bunny dinosaur unicorn whale
audio | speakers | speaker | wood aluminium fabric rubber plastic | bluetooth bookshelf party waterproof smart
pets | beds | pet bed | fleece canvas memory-foam wicker cotton | orthopedic donut cave cooling travel
pets | collars | collar | leather nylon biothane hemp rope | reflective breakaway martingale padded gps
bags | backpacks | backpack | canvas leather nylon polyester waxed | hiking laptop school roll-top daypack
bags | wallets | wallet | leather canvas carbon cork aluminium | bifold card travel zip minimalist
bath | towels | towel | cotton bamboo linen microfibre waffle | bath hand beach gym hair
jewellery | rings | ring | silver gold titanium rose-gold platinum | signet band stacking statement solitaire
outdoor | tents | tent | nylon polyester canvas ripstop cotton | backpacking family ultralight dome tunnel
"""
CATEGORIES: tuple[tuple[str, str, str, tuple[str, ...], tuple[str, ...]], ...] = tuple(
    (dept, product, noun, tuple(materials.split()), tuple(styles.split()))
    for dept, product, noun, materials, styles in (
        (field.strip() for field in line.split("|")) for line in _CATEGORY_TABLE.strip().splitlines()
    )
)
MAX_CATEGORIES = len(CATEGORIES)
N_VARIANTS = 5  # materials and styles per category
COLOURS = (
    "crimson",
    "navy",
    "olive",
    "charcoal",
    "ivory",
    "mustard",
    "teal",
    "coral",
    "sand",
    "plum",
    "forest",
    "slate",
)
PRICE_BANDS = ("budget", "mid", "premium", "luxury")


@dataclass(frozen=True)
class Catalogue:
    """Items in shop order (index 0..n_items-1) with their attributes and latent factors.

    ``vectors`` is the item's latent vector; a user's utility for an item is linear in it (see
    ``users.utility``). ``price`` is the price band scaled to [0, 1]; ``exposure`` is the logging
    recommender's popularity prior (a distribution over items, not shown in the text).
    """

    category: np.ndarray  # [N] int64 index into CATEGORIES
    colour: np.ndarray  # [N] int64 index into COLOURS
    material: np.ndarray  # [N] int64 index into the category's materials
    style: np.ndarray  # [N] int64 index into the category's styles
    price_band: np.ndarray  # [N] int64 index into PRICE_BANDS
    quality: np.ndarray  # [N] float32, utility offset shared by all users
    vectors: np.ndarray  # [N, d] float32
    exposure: np.ndarray  # [N] float64, sums to 1
    category_vectors: np.ndarray  # [C, d] float32, the category part of ``vectors``

    @property
    def n_items(self) -> int:
        return len(self.category)

    @property
    def price(self) -> np.ndarray:
        """[N] float32 in [0, 1]: the price band as a number (budget 0 ... luxury 1)."""
        return (self.price_band / (len(PRICE_BANDS) - 1)).astype(np.float32)

    def rating(self) -> np.ndarray:
        """[N] float: the star rating shown in the text, a monotone function of quality."""
        return np.round(np.clip(3.8 + 0.8 * self.quality, 1.0, 5.0), 1)

    def raw_ids(self) -> list[str]:
        width = max(4, len(str(self.n_items - 1)))
        return [f"sku-{i:0{width}d}" for i in range(self.n_items)]

    def titles(self) -> list[str]:
        out = []
        for c, col, m, s in zip(self.category, self.colour, self.material, self.style, strict=True):
            _, _, noun, materials, styles = CATEGORIES[c]
            words = f"{COLOURS[col]} {materials[m]} {styles[s]} {noun}".split()
            out.append(" ".join(w.capitalize() for w in words))
        return out

    def texts(self) -> list[str]:
        out = []
        rating = self.rating()
        for i, (c, col, m, s, p) in enumerate(
            zip(self.category, self.colour, self.material, self.style, self.price_band, strict=True)
        ):
            dept, product, _, materials, styles = CATEGORIES[c]
            out.append(
                f"Category: {dept} > {product}. Colour: {COLOURS[col]}. Material: {materials[m]}. "
                f"Style: {styles[s]}. Price band: {PRICE_BANDS[p]}. Rating: {rating[i]:.1f}/5."
            )
        return out

    def table(self) -> pa.Table:
        """The items in ``schema.ITEMS``; ``item_id`` is the shop index."""
        return pa.table(
            {
                schema.ITEM_ID: pa.array(np.arange(self.n_items, dtype=np.int64)),
                schema.RAW_ID: pa.array(self.raw_ids(), pa.string()),
                schema.TITLE: pa.array(self.titles(), pa.string()),
                schema.TEXT: pa.array(self.texts(), pa.string()),
            },
            schema=schema.ITEMS,
        )


def make_catalogue(
    n_items: int,
    n_categories: int,
    latent_dim: int,
    quality_std: float,
    popularity_skew: float,
    rng: np.random.Generator,
) -> Catalogue:
    """Draw a catalogue. Categories get roughly equal shares and at least one item each.

    Latent vectors: category vectors have unit norm (they dominate, so a category is a taste cluster);
    colour, material and style vectors have norm ~0.5; the item residual ~0.2. Quality rises with the
    price band on average. The exposure prior is log-normal with sigma ``popularity_skew`` and partly
    follows quality, so logged popularity is informative but biased.
    """
    if not 1 <= n_categories <= MAX_CATEGORIES:
        raise ValueError(f"n_categories must be in [1, {MAX_CATEGORIES}], got {n_categories}")
    if n_items < n_categories:
        raise ValueError(f"n_items ({n_items}) must be >= n_categories ({n_categories})")
    d = latent_dim
    category = np.concatenate(
        [np.arange(n_categories), rng.integers(0, n_categories, n_items - n_categories)]
    ).astype(np.int64)
    rng.shuffle(category)
    colour = rng.integers(0, len(COLOURS), n_items).astype(np.int64)
    material = rng.integers(0, N_VARIANTS, n_items).astype(np.int64)
    style = rng.integers(0, N_VARIANTS, n_items).astype(np.int64)
    price_band = rng.choice(len(PRICE_BANDS), size=n_items, p=[0.3, 0.35, 0.25, 0.1]).astype(np.int64)

    def unit(shape: tuple[int, ...]) -> np.ndarray:
        v = rng.standard_normal((*shape, d))
        return v / np.linalg.norm(v, axis=-1, keepdims=True)

    cat_vec = unit((n_categories,))  # [C, d]
    colour_vec = 0.5 * unit((len(COLOURS),))  # [K_col, d]
    material_vec = 0.5 * unit((n_categories, N_VARIANTS))  # [C, 5, d]
    style_vec = 0.5 * unit((n_categories, N_VARIANTS))  # [C, 5, d]
    residual = 0.2 * rng.standard_normal((n_items, d)) / np.sqrt(d)
    vectors = (
        cat_vec[category]
        + colour_vec[colour]
        + material_vec[category, material]
        + style_vec[category, style]
        + residual
    )  # [N, d]
    price = price_band / (len(PRICE_BANDS) - 1)
    quality = 0.4 * price + quality_std * rng.standard_normal(n_items)
    log_exposure = popularity_skew * rng.standard_normal(n_items) + 0.5 * quality / max(quality_std, 1e-6)
    exposure = np.exp(log_exposure - log_exposure.max())
    return Catalogue(
        category=category,
        colour=colour,
        material=material,
        style=style,
        price_band=price_band,
        quality=quality.astype(np.float32),
        vectors=vectors.astype(np.float32),
        exposure=exposure / exposure.sum(),
        category_vectors=cat_vec.astype(np.float32),
    )
