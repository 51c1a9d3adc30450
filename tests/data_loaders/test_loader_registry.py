"""The registry: every format documented, options built and checked from plain values."""

from __future__ import annotations

import dataclasses

import pytest

from learec.platform.common.fields import field_help
from learec.platform.data import schema
from learec.platform.data.loaders.registry import LOADERS, load_dataset

ALL = ("retailrocket", "rc15", "movielens", "otto", "recbole", "lastfm", "generic")


def test_every_format_is_registered_and_documented() -> None:
    assert set(LOADERS) == set(ALL)
    for name, spec in LOADERS.items():
        assert spec.name == name
        assert spec.description and "\n" not in spec.description
        assert spec.options.__dataclass_params__.frozen
        for f in dataclasses.fields(spec.options):
            assert field_help(spec.options, f.name), f"{name}.{f.name} has no help"
        assert spec.load.__doc__ and spec.load.__module__.endswith(name)
        module_doc = __import__(spec.load.__module__, fromlist=["_"]).__doc__
        assert "Mapping" in module_doc or "mapping" in module_doc


def test_options_are_coerced_and_validated(write_dataset) -> None:
    folder = write_dataset("movielens")
    strict = load_dataset("movielens", folder, purchase_min_rating="5", use_tags="no")
    assert strict.events[schema.EVENT].to_pylist().count(schema.PURCHASE) == 1
    with pytest.raises(ValueError, match="max_tags must be >= 0"):
        load_dataset("movielens", folder, max_tags=-1)
    with pytest.raises(ValueError, match="movielens options.layout must be one of"):
        load_dataset("movielens", folder, layout="2m")
    with pytest.raises(ValueError, match="max_sessions must be > 0"):
        load_dataset("rc15", write_dataset("rc15"), max_sessions=0)
