"""autotrace: AutoGraph, tf.function and GradientTape for plain Python + numpy.

    import autotrace as at

    @at.trace
    def f(a, b):
        return (a + b) * (b + 1)

    f(np.array([2.]), np.array([1.]))      # array([6.])
    print(f.code)                           # the converted source
    print(f.get_concrete_function(np.array([2.]), np.array([1.])).graph)

`__all__` is the public namespace; docs/api.md documents every name in it
(tests/test_public_api.py checks both ways). Submodules such as `autotrace.viz` are
imported by name.
"""

__all__ = [
    # tracing
    "trace", "to_code", "TracedFunction", "ConcreteFunction", "TensorSpec",
    "RetracingWarning", "load", "register_pytree",
    # differentiation
    "grad", "value_and_grad", "jacobian", "hessian", "check_grads", "GradientTape",
    "stop_gradient", "custom_gradient", "jvp", "linearize", "jacfwd", "jacrev", "vmap",
    "checkpoint", "defop",
    # tensors, state, explicit control flow, graphs
    "Variable", "Tensor", "EagerTensor", "cond", "while_loop", "Graph", "Node", "Var",
    # training, debugging and export (docs/optimizers.md, docs/debugging.md, docs/export.md)
    "optimizers", "config", "export_onnx",
    # errors
    "AutotraceError", "ConversionError", "TracingError", "UnsupportedError",
    "GraphSizeError", "BackendError", "ConversionWarning", "UnrollingWarning",
    "CacheEvictionWarning", "StaleCaptureWarning",
    # numpy-named functions (docs/ops.md)
    "abs", "absolute", "add", "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctan2",
    "arctanh", "bitwise_and", "bitwise_or", "bitwise_xor", "cbrt", "ceil", "clip", "cos",
    "cosh", "divide", "equal", "exp", "exp2", "expm1", "floor", "floor_divide", "greater",
    "greater_equal", "hypot", "invert", "isfinite", "isinf", "isnan", "left_shift", "less",
    "less_equal", "log", "log10", "log1p", "log2", "logical_and", "logical_not",
    "logical_or", "logical_xor", "maximum", "minimum", "mod", "multiply", "negative",
    "not_equal", "positive", "power", "reciprocal", "remainder", "right_shift", "rint",
    "round", "sign", "sin", "sinh", "sqrt", "square", "subtract", "tan", "tanh",
    "true_divide", "trunc", "where",
    "all", "any", "argmax", "argmin", "max", "mean", "min", "prod", "std", "sum", "var",
    "astype", "broadcast_to", "expand_dims", "flip", "moveaxis", "ravel", "reshape",
    "squeeze", "swapaxes", "transpose",
    "concatenate", "hstack", "split", "stack", "vstack",
    "arange", "eye", "full_like", "ones_like", "zeros_like",
    "diagonal", "dot", "matmul", "outer", "einsum", "tensordot", "cumprod", "cumsum",
    "argsort", "sort", "take_along_axis", "atleast_1d", "atleast_2d", "atleast_3d",
    "repeat", "tile",
]

from autotrace import ops as _ops
from autotrace.api import to_code, trace
from autotrace.errors import (
    AutotraceError, BackendError, ConversionError, ConversionWarning, GraphSizeError, TracingError,
    StaleCaptureWarning, UnrollingWarning, UnsupportedError,
)
from autotrace.function import (
    CacheEvictionWarning, ConcreteFunction, RetracingWarning, TracedFunction,
)
from autotrace.savefile.decode import load
from autotrace.export import export_onnx
from autotrace.graph.ir import Graph, Node, Var
from autotrace.ops.elementwise import (  # noqa: F401
    abs, absolute, add, arccos, arccosh, arcsin, arcsinh, arctan, arctan2, arctanh,
    bitwise_and, bitwise_or, bitwise_xor, cbrt, ceil, clip, cos, cosh, divide, equal, exp,
    exp2, expm1, floor, floor_divide, greater, greater_equal, hypot, invert, isfinite, isinf,
    isnan, left_shift, less, less_equal, log, log10, log1p, log2, logical_and, logical_not,
    logical_or, logical_xor, maximum, minimum, mod, multiply, negative, not_equal, positive,
    power, reciprocal, remainder, right_shift, rint, round, sign, sin, sinh, sqrt, square,
    subtract, tan, tanh, true_divide, trunc, where,
)
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
from autotrace.signature import TensorSpec, register_pytree
from autotrace.tensor import EagerTensor, Tensor, Variable

from autotrace.version import __version__

# Differentiation and explicit control flow (the control-flow ops, each with its rules, in
# autotrace/control/; runtime and concrete import them too).
from autotrace import autodiff as _autodiff  # noqa: E402
from autotrace.control import call as _call, cond as _cond, while_loop as _while  # noqa: E402,F401,E501
from autotrace.control import trying as _trying  # noqa: E402,F401
from autotrace.autodiff.tape import GradientTape  # noqa: E402
from autotrace.api import (  # noqa: E402
    check_grads, custom_gradient, grad, hessian, jacobian, stop_gradient, value_and_grad,
)
from autotrace.runtime.control_flow import cond, while_loop  # noqa: E402
from autotrace import config  # noqa: E402
from autotrace import optimizers  # noqa: E402
from autotrace.autodiff.forward import jacfwd, jvp, linearize  # noqa: E402
from autotrace.api import jacrev  # noqa: E402
from autotrace.autodiff.batching import vmap  # noqa: E402
from autotrace.autodiff.checkpoint import checkpoint  # noqa: E402
from autotrace.ops.defop import defop  # noqa: E402
