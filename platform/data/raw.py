"""What every loader returns: raw events and item descriptions in source ids, before preprocessing."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from learec.platform.data import schema


@dataclass(frozen=True)
class RawLogs:
    """Events with raw item ids (``schema.RAW_EVENTS``) and items (``schema.ITEMS``, ``item_id`` ignored).

    ``user_level`` is True when ``session_id`` identifies a user whose history spans many visits
    (MovieLens, Last.fm); preprocessing then cuts sessions at a time gap.
    ``source`` names where the data came from, for reports and error messages.
    """

    events: pa.Table
    items: pa.Table
    user_level: bool = False
    source: str = ""

    def __post_init__(self) -> None:
        schema.check_columns(self.events, schema.RAW_EVENTS, f"{self.source or 'raw'} events")
        for name in (schema.RAW_ID, schema.TITLE, schema.TEXT):
            if self.items.schema.get_field_index(name) < 0:
                raise ValueError(f"{self.source or 'raw'} items: missing column {name!r}")
