"""`getitem`: a subscript load with a computed key, as the converter rewrites it
(`convert/passes/subscripts.py`)."""

from __future__ import annotations

import numpy as np

from autotrace import ops as F
from autotrace.runtime.values import is_traced


def getitem(value, key):
    """`value[key]`. While tracing, a numpy array indexed by a key with a traced part
    (`buf[m % 3]`) is a graph getitem on the array (what numpy gives it at run time);
    anything else is indexed as Python indexes it."""
    if type(value) is np.ndarray and _traced_key(key):
        return F.getitem(value, key)
    return value[key]


def _traced_key(key) -> bool:
    if isinstance(key, tuple):
        return any(is_traced(k) for k in key)
    return is_traced(key)
