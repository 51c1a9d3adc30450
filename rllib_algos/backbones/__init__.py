"""Sequence encoders (GRU4Rec, Caser, NextItNet, SASRec) shared by every algorithm.

Importing this package registers every backbone; see :mod:`.registry` for the input/output contract.
"""

from learec.rllib_algos.backbones import caser, gru4rec, nextitnet, sasrec
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
    "caser",
    "count_parameters",
    "gru4rec",
    "names",
    "nextitnet",
    "register",
    "sasrec",
]
