"""The op registry and numpy-signature front ends (`at.sin`, `at.matmul`, ...).

Importing this package registers every op family. `OPS` maps op names to `Op`s; the numpy
dispatch tables used by tensors are derived from the same registrations.
"""

from autotrace.ops.registry import OPS, Op, apply  # noqa: F401
from autotrace.ops.elementwise import *  # noqa: F401,F403
from autotrace.ops.elementwise import abs, divide, mod, round  # noqa: F401
from autotrace.ops.reduce import all, any, argmax, argmin, max, mean, min, prod, std, sum, var  # noqa: F401,E501
from autotrace.ops.shape import *  # noqa: F401,F403
from autotrace.ops.creation import *  # noqa: F401,F403
from autotrace.ops.index import getitem  # noqa: F401
from autotrace.ops.linalg import dot, matmul, outer  # noqa: F401
from autotrace.ops import control  # noqa: F401
