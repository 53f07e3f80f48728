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
    astype, broadcast_to, expand_dims, flip, moveaxis, ravel, reshape, squeeze, swapaxes,
    transpose,
)
from autotrace.ops.join import concatenate, hstack, split, stack, vstack  # noqa: F401
from autotrace.ops.creation import arange, eye, full_like, ones_like, zeros_like  # noqa: F401
# ops.trace (numpy.trace) is not exported here: `at.trace` is the decorator.
from autotrace.ops.linalg import diagonal, dot, matmul, outer  # noqa: F401
from autotrace.ops.einsum import einsum, tensordot  # noqa: F401
from autotrace.ops.scan import cumprod, cumsum  # noqa: F401
from autotrace.ops.sort import argsort, sort, take_along_axis  # noqa: F401
from autotrace.ops.tiling import atleast_1d, atleast_2d, atleast_3d, repeat, tile  # noqa: F401
from autotrace.signature import TensorSpec
from autotrace.tensor import EagerTensor, Tensor, Variable

__version__ = "0.1.0"

# Differentiation and explicit control flow (importing autodiff.control installs the VJPs
# of cond, while_loop and call).
from autotrace import autodiff as _autodiff  # noqa: E402
from autotrace.autodiff import control as _control_vjps  # noqa: E402,F401
from autotrace.autodiff.tape import GradientTape  # noqa: E402
from autotrace.api import (  # noqa: E402
    check_grads, custom_gradient, grad, hessian, jacobian, stop_gradient, value_and_grad,
)
from autotrace.runtime.control_flow import cond, while_loop  # noqa: E402
from autotrace.autodiff.forward import jacfwd, jvp, linearize  # noqa: E402
from autotrace.api import jacrev  # noqa: E402
from autotrace.autodiff.batching import vmap  # noqa: E402
from autotrace.autodiff.checkpoint import checkpoint  # noqa: E402
