"""Arithmetic entry points of generated code: Python's own operators.

Python's operator protocol already gives plain Python semantics for Python values and
routes tensors to their numpy-style methods (and so to the op registry), so the runtime
needs nothing more than the `operator` module's functions under the converter's names.
Bitwise `&`, `|`, `^` are `bitand`, `bitor`, `bitxor` (`and_`/`or_` are the logical ones).
"""

from operator import (  # noqa: F401 - re-exported for generated code
    add,
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
    pos,
    pow,
    rshift,
    sub,
    truediv,
)
from operator import and_ as bitand  # noqa: F401
from operator import or_ as bitor  # noqa: F401
from operator import xor as bitxor  # noqa: F401
