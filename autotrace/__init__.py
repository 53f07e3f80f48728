"""autotrace: AutoGraph, tf.function and GradientTape for plain Python + numpy.

    import autotrace as at

    @at.trace
    def f(a, b):
        return (a + b) * (b + 1)

    f(np.array([2.]), np.array([1.]))      # array([6.])
    print(f.code)                           # the converted source
    print(f.get_concrete_function(np.array([2.]), np.array([1.])).graph)
"""

from autotrace import ops as _ops
from autotrace.api import to_code, trace
from autotrace.errors import AutotraceError, ConversionError, TracingError, UnsupportedError
from autotrace.function import ConcreteFunction, RetracingWarning, TracedFunction
from autotrace.graph.ir import Graph, Node, Var
from autotrace.ops.elementwise import *  # noqa: F401,F403
from autotrace.ops.elementwise import abs, divide, mod, round  # noqa: F401
from autotrace.ops.reduce import all, any, argmax, argmin, max, mean, min, prod, std, sum, var  # noqa: F401,E501
from autotrace.ops.shape import (  # noqa: F401
    broadcast_to, concatenate, expand_dims, flip, moveaxis, ravel, reshape, split, squeeze,
    stack, swapaxes, transpose,
)
from autotrace.ops.creation import arange, eye, full_like, ones_like, zeros_like  # noqa: F401
from autotrace.ops.linalg import dot, matmul, outer  # noqa: F401
from autotrace.signature import TensorSpec
from autotrace.tensor import EagerTensor, Tensor, Variable

__version__ = "0.1.0"
