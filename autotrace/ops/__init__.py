"""The op registry and numpy-signature front ends (`at.sin`, `at.matmul`, ...).

Importing this package registers every op family. `OPS` maps op names to `Op`s; the numpy
dispatch tables used by tensors are derived from the same registrations.
"""

from autotrace.ops.creation import arange, eye, full_like, ones_like, zeros_like  # noqa: F401
from autotrace.ops.einsum import einsum, tensordot  # noqa: F401
from autotrace.ops.elementwise import *  # noqa: F401,F403
from autotrace.ops.elementwise import abs, divide, mod, round  # noqa: F401
from autotrace.ops.index import getitem  # noqa: F401
from autotrace.ops.join import concatenate, hstack, split, stack, take_range, vstack  # noqa: F401
from autotrace.ops.linalg import diagonal, dot, matmul, outer, trace  # noqa: F401
from autotrace.ops import (  # noqa: F401 - numpy.linalg
    linalg_compose,
    linalg_decomp,
    linalg_lstsq,
    linalg_norm,
    linalg_solve,
    linalg_svd,
)
from autotrace.ops import pymath  # noqa: F401 - math.exp & co. of traced values
from autotrace.ops.reduce import (  # noqa: F401
    all,
    any,
    argmax,
    argmin,
    max,
    mean,
    min,
    prod,
    std,
    sum,
    var,
)
from autotrace.ops.registry import OPS, Op, apply  # noqa: F401
from autotrace.ops.scan import cumprod, cumsum  # noqa: F401
from autotrace.ops.setitem import augmented, setitem  # noqa: F401
from autotrace.ops.shape import *  # noqa: F401,F403
from autotrace.ops.sort import argsort, sort, take_along_axis  # noqa: F401
from autotrace.ops.tiling import atleast_1d, atleast_2d, atleast_3d, repeat, tile  # noqa: F401
from autotrace.ops import effects  # noqa: F401 - print/assert/raise ops
from autotrace.ops import ufuncs, mathfns, complex  # noqa: F401 - more ufuncs, sinc & co., parts
from autotrace.ops import statistics, nanreduce, histogram  # noqa: F401 - statistics
from autotrace.ops import fft  # noqa: F401 - numpy.fft
from autotrace.ops import integrate  # noqa: F401 - trapezoid, cumulative_sum & co.
from autotrace.ops import comparison, finding, manipulation, matrices, padding, spaces  # noqa: F401,E501
from autotrace.ops.finding import nonzero  # noqa: F401
from autotrace.ops.manipulation import take  # noqa: F401
from autotrace.ops import random  # noqa: F401 - random draws at run time
