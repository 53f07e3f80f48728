"""Arithmetic entry points of generated code: Python's own operators.

Python's operator protocol already gives plain Python semantics for Python values and
routes tensors to their numpy-style methods (and so to the op registry), so the runtime
needs nothing more than the `operator` module's functions under the converter's names.
"""

from operator import (  # noqa: F401 - re-exported for generated code
    add,
    and_,
    eq,
    floordiv,
    ge,
    gt,
    iadd,
    iand,
    ifloordiv,
    ilshift,
    imatmul,
    imod,
    imul,
    invert,
    ior,
    ipow,
    irshift,
    isub,
    itruediv,
    ixor,
    le,
    lshift,
    lt,
    matmul,
    mod,
    mul,
    ne,
    neg,
    or_,
    pos,
    pow,
    rshift,
    sub,
    truediv,
    xor,
)
