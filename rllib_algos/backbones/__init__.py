"""Sequence encoders (GRU4Rec, Caser, NextItNet, SASRec) shared by every algorithm.

Importing this package registers every backbone; see :mod:`.registry` for the input/output contract.
"""

from learec.rllib_algos.backbones import gru4rec
from learec.rllib_algos.backbones.registry import (
    BackboneConfig,
    SequenceEncoder,
    build,
    count_parameters,
    names,
    register,
)

__all__ = [
    "BackboneConfig",
    "SequenceEncoder",
    "build",
    "count_parameters",
    "gru4rec",
    "names",
    "register",
]
