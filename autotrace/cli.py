"""Command line: `python -m autotrace <command>` (see `--help` of each command).

    python -m autotrace demo
    python -m autotrace code   model.py:loss
    python -m autotrace graph  model.py:loss --arg f64[3] --arg '[1.0, 2.0, 3.0]'
    python -m autotrace graph  model.py:Model.loss --self 'Model(3)' --arg f64[3]
    python -m autotrace grad   model.py:loss --arg '[2.0]' --arg '[1.0]' --wrt 0,1
    python -m autotrace render model.py:loss --arg '[2.0]' --arg '[1.0]' -o e.svg --gradients

Errors are one `autotrace: error: ...` message on stderr (the user's file and line where
autotrace knows them), never a traceback unless `--traceback` is given. Exit codes: 0
success, 1 an error in the user's code or its conversion/tracing/rendering, 2 a usage
error (bad command line, missing file or function, bad --arg).
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import importlib.util
import inspect
import re
import sys
import types
from pathlib import Path

import numpy as np

EXIT_ERROR = 1
EXIT_USAGE = 2
_SPEC = re.compile(r"^\s*([A-Za-z_]\w*)\s*\[([^\]]*)\]\s*$")
_SHORT_DTYPE = re.compile(r"^([fiuc])(\d+)$")
_KINDS = {"f": "float", "i": "int", "u": "uint", "c": "complex"}
ARG_HELP = ("an argument: a spec DTYPE[DIMS] such as f64[3], f32[2,None], i64[] (a "
            "TensorSpec), or a Python literal such as '[1.0, 2.0]', 3, True, 'text' "
            "(lists become numpy arrays); repeat once per parameter, in order")
SELF_HELP = ("for FILE:Class.method, a Python expression evaluated in FILE's namespace that "
             "makes the instance (default: Class())")


class CommandError(Exception):
    """A failure to report as one message with exit code `code`."""

    def __init__(self, message: str, code: int = EXIT_ERROR):
        super().__init__(message)
        self.code = code


# -- arguments -------------------------------------------------------------------------------
def parse_arg(text: str):
    """A `--arg` value: a `TensorSpec` for `f64[3]`-style specs, else a Python literal
    (`ast.literal_eval`, never `eval`) with lists turned into numpy arrays.

    Raises:
        CommandError (usage): neither a spec nor a literal.
    """
    match = _SPEC.match(text)
    if match:
        return _spec(text, *match.groups())
    try:
        value = ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
        raise CommandError(f"{text!r} is neither a spec (like f64[3] or f32[2,None]) "
                           "nor a Python literal (like [1.0, 2.0], 3, True or 'text')",
                           EXIT_USAGE) from None
    return _arrays(value, text)


def _spec(text: str, dtype_text: str, dims_text: str):
    from autotrace.signature import TensorSpec

    dtype = _dtype(dtype_text)
    if dtype is None:
        raise CommandError(f"{text!r}: unknown dtype {dtype_text!r}; use f16, f32, f64, "
                           "i8 ... i64, u8 ... u64, c64, c128, bool or a numpy dtype name",
                           EXIT_USAGE)
    dims = []
    for part in (p.strip() for p in dims_text.split(",") if dims_text.strip()):
        if part in ("None", "?"):
            dims.append(None)
        elif part.isdigit():
            dims.append(int(part))
        else:
            raise CommandError(f"{text!r}: dimension {part!r} is not a size or None",
                               EXIT_USAGE)
    return TensorSpec(tuple(dims), dtype)


def _dtype(text: str) -> np.dtype | None:
    short = _SHORT_DTYPE.match(text)
    name = f"{_KINDS[short.group(1)]}{short.group(2)}" if short else text
    try:
        dtype = np.dtype(name)
    except TypeError:
        return None
    return dtype if dtype.kind in "biufc" else None


def _arrays(value, text: str):
    """`value` with every list turned into a numpy array."""
    if isinstance(value, list):
        try:
            return np.asarray(value)
        except ValueError as e:
            raise CommandError(f"{text!r}: not an array: {e}", EXIT_USAGE) from None
    if isinstance(value, tuple):
        return tuple(_arrays(v, text) for v in value)
    if isinstance(value, dict):
        return {k: _arrays(v, text) for k, v in value.items()}
    return value


def _is_literal(value) -> bool:
    from autotrace.signature import TensorSpec, flatten

    return not any(isinstance(x, TensorSpec) for x in flatten(value)[0])


# -- loading FILE:FUNC -----------------------------------------------------------------------
@contextlib.contextmanager
def user_function(target: str, self_expr: str | None = None):
    """Yield the traced function `target` (`FILE:FUNC`, FUNC may be dotted); FILE is
    imported by path as a module named after its stem, with its directory on `sys.path`
    (and the module in `sys.modules`, unless the name is taken) until the block ends.
    Plain functions are wrapped with `autotrace.trace`. For `Class.method` the method is
    bound to `Class()`, or to the value of `self_expr` evaluated in the module."""
    path_text, sep, name = target.rpartition(":")
    if not sep or not path_text or not name:
        raise CommandError(f"expected FILE:FUNC (like model.py:loss), got {target!r}",
                           EXIT_USAGE)
    path = Path(path_text)
    if not path.is_file():
        raise CommandError(f"no such file: {path_text}", EXIT_USAGE)
    directory = str(path.resolve().parent)
    sys.path.insert(0, directory)
    registered = path.stem not in sys.modules
    try:
        yield _traced(_attribute(_import(path, registered), name, path, self_expr))
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(directory)
        if registered:
            sys.modules.pop(path.stem, None)


def _import(path: Path, register: bool):
    """The module at `path`, named after its stem (put in sys.modules if `register`)."""
    name = path.stem
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise CommandError(f"cannot import {path}: not a Python file", EXIT_USAGE)
    module = importlib.util.module_from_spec(spec)
    if register:
        sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as e:
        raise CommandError(f"{path}:{e.lineno}: SyntaxError: {e.msg}") from None
    except Exception as e:  # any failure of the user's module is reported
        raise CommandError(f"importing {path} failed: {_describe(e)}") from None
    return module


def _attribute(module, name: str, path: Path, self_expr: str | None = None):
    owner, value = None, module
    for part in name.split("."):
        if not hasattr(value, part):
            raise CommandError(_no_function(module, name, path), EXIT_USAGE)
        owner, value = value, getattr(value, part)
    attr = name.rpartition(".")[2]
    if inspect.isclass(owner) and _is_method(owner, attr):
        value = _bound_method(owner, attr, _instance(owner, module, self_expr, path, name))
    elif self_expr is not None:
        raise CommandError(f"--self: {path}:{name} is not a method of a class", EXIT_USAGE)
    if not callable(value):
        raise CommandError(f"{path}:{name} is not a function (it is {type(value).__name__})",
                           EXIT_USAGE)
    return value


def _no_function(module, name: str, path: Path) -> str:
    known = ", ".join(_functions(module)) or "none"
    methods = ", ".join(_methods(module))
    methods = f"; classes and their methods: {methods}" if methods else ""
    return f"{path} has no function {name!r} (functions defined there: {known}{methods})"


def _is_method(cls, attr: str) -> bool:
    """`attr` is a plain (instance) method of `cls`, traced or not."""
    from autotrace.function import TracedFunction

    return isinstance(inspect.getattr_static(cls, attr, None),
                      (types.FunctionType, TracedFunction))


def _methods(module) -> list[str]:
    """`Class.method` for the classes defined in `module` (public methods and __call__)."""
    return sorted(f"{k}.{m}" for k, cls in vars(module).items()
                  if inspect.isclass(cls) and cls.__module__ == module.__name__ and
                  not k.startswith("_")
                  for m in vars(cls) if (m == "__call__" or not m.startswith("_")) and
                  _is_method(cls, m))


def _instance(cls, module, self_expr: str | None, path: Path, name: str):
    """The object a method is bound to: `cls()`, or `self_expr` evaluated in `module`."""
    if self_expr is None:
        try:
            return cls()
        except Exception as e:  # the user's constructor
            raise CommandError(
                f"{path}:{name} is a method, and making the instance with "
                f"{cls.__name__}() failed: {_describe(e)}; pass --self EXPR to make it "
                f"(like --self '{cls.__name__}(...)')", EXIT_USAGE) from None
    try:
        return eval(self_expr, vars(module))  # the user's own expression, like their file
    except Exception as e:
        raise CommandError(f"--self {self_expr!r} failed: {_describe(e)}") from None


def _bound_method(cls, attr: str, instance):
    """`instance.attr` as a function of the remaining parameters; a traced method keeps
    its decorator's options (input_signature, reduce_retracing, autograph)."""
    from autotrace.function import TracedFunction

    method = inspect.getattr_static(cls, attr)
    if isinstance(method, TracedFunction):
        return TracedFunction(types.MethodType(method.python_function, instance),
                              input_signature=method.input_signature,
                              reduce_retracing=method.reduce_retracing,
                              autograph=method.autograph)
    return getattr(instance, attr)


def _functions(module) -> list[str]:
    from autotrace.function import TracedFunction

    return sorted(k for k, v in vars(module).items() if not k.startswith("_") and (
        isinstance(v, TracedFunction) or
        (inspect.isfunction(v) and v.__module__ == module.__name__)))


def _traced(fn):
    from autotrace.function import TracedFunction

    return fn if isinstance(fn, TracedFunction) else TracedFunction(fn)


def _check_arity(fn, args: list) -> None:
    """Usage error unless `args` bind to `fn`'s parameters."""
    if not args and fn.input_signature is not None:
        return
    signature = inspect.signature(fn.python_function)
    try:
        signature.bind(*args)
    except TypeError as e:
        raise CommandError(f"{fn.__name__}{signature}: {e}; pass one --arg per parameter",
                           EXIT_USAGE) from None


# -- commands --------------------------------------------------------------------------------
def _demo(args) -> int:
    from autotrace import demo

    demo.run(args.out)
    return 0


def _code(args) -> int:
    with user_function(args.target, args.self) as fn:
        print(fn.code)
    return 0


def _graph(args) -> int:
    with user_function(args.target, args.self) as fn:
        _check_arity(fn, args.arg)
        print(fn.get_concrete_function(*args.arg).graph)
    return 0


def _grad(args) -> int:
    import autotrace as at

    with user_function(args.target, args.self) as fn:
        _check_arity(fn, args.arg)
        wrt = _wrt(args.wrt, len(args.arg))
        grad_fn = at.grad(fn, argnums=wrt[0] if len(wrt) == 1 else wrt)
        print(grad_fn.get_concrete_function(*args.arg).graph)
        if _is_literal(args.arg):
            grads = grad_fn(*args.arg)
            grads = grads if len(wrt) > 1 else (grads,)
            names = _param_names(fn, len(args.arg))
            print(f"\ngradient of {fn.__name__} at the given arguments:")
            for i, g in zip(wrt, grads):
                print(f"  d/d{names[i]} = {np.asarray(g)}")
    return 0


def _wrt(text: str, n_args: int) -> tuple[int, ...]:
    try:
        nums = tuple(int(p) for p in text.split(","))
    except ValueError:
        raise CommandError(f"--wrt {text!r}: expected argument positions like 0 or 0,1",
                           EXIT_USAGE) from None
    for i in nums:
        if not -n_args <= i < n_args:
            raise CommandError(f"--wrt {i}: out of range for {n_args} --arg values",
                               EXIT_USAGE)
    return nums


def _param_names(fn, n: int) -> list[str]:
    params = [p for p in inspect.signature(fn.python_function).parameters.values()
              if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    names = [p.name for p in params[:n]]
    return names + [f"arg{i}" for i in range(len(names), n)]


def _render(args) -> int:
    from autotrace.viz.render import FORMATS, GraphvizUnavailable

    shows = args.values or args.gradients
    if shows and not _is_literal(args.arg):
        raise CommandError("--values and --gradients need literal --arg values (like "
                           "'[2.0]'), not specs", EXIT_USAGE)
    if args.o != "-" and Path(args.o).suffix.lower() not in FORMATS:
        raise CommandError(f"-o {args.o}: use a {', '.join(FORMATS)} suffix, or - for DOT "
                           "text on stdout", EXIT_USAGE)
    options = dict(values=args.values, gradients=args.gradients, rankdir=args.rankdir)
    if args.output is not None:
        options["output"] = args.output
    with user_function(args.target, args.self) as fn:
        _check_arity(fn, args.arg)
        if args.o == "-":
            print(fn.to_dot(*args.arg, **options), end="")
            return 0
        try:
            written = fn.render(args.o, *args.arg, **options)
        except GraphvizUnavailable as e:
            raise CommandError(str(e)) from None
    print(f"wrote {written}")
    return 0


# -- parser ----------------------------------------------------------------------------------
class _Parser(argparse.ArgumentParser):
    """Usage errors as one line (`prog: error: ...`, exit 2), like every other error."""

    def error(self, message: str):
        self.exit(EXIT_USAGE, f"autotrace: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    traceback_help = "show Python's traceback on errors (for debugging autotrace)"
    common = argparse.ArgumentParser(add_help=False)  # default SUPPRESS: keep the top one
    common.add_argument("--traceback", action="store_true", default=argparse.SUPPRESS,
                        help=traceback_help)
    parser = _Parser(
        prog="python -m autotrace",
        description="Trace, inspect and differentiate plain Python + numpy functions.",
        epilog="Exit codes: 0 ok, 1 error in the traced code, 2 usage error.")
    parser.add_argument("--traceback", action="store_true", help=traceback_help)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = commands.add_parser("demo", parents=[common],
                               help="walk the seed example e = (a + b) * (b + 1)")
    demo.add_argument("--out", default=None, help="directory for the pictures")
    demo.set_defaults(run=_demo)
    _target_command(commands, common, "code", _code, "print the converted source of FUNC",
                    with_args=False)
    _target_command(commands, common, "graph", _graph, "print the graph traced for --arg ...")
    grad = _target_command(commands, common, "grad", _grad,
                           "print the gradient graph (and values for literal --arg)")
    grad.add_argument("--wrt", default="0", metavar="I[,J...]",
                      help="positions of the arguments to differentiate (default 0)")
    render = _target_command(commands, common, "render", _render,
                             "draw the graph to a picture (.svg/.png/.pdf/.dot)")
    render.add_argument("-o", required=True, metavar="OUT",
                        help="output file; its suffix picks the format; - prints DOT text")
    render.add_argument("--values", action="store_true", help="show values at the nodes")
    render.add_argument("--gradients", action="store_true",
                        help="show local partials on edges and totals at nodes")
    render.add_argument("--output", type=int, default=None, metavar="K",
                        help="graph output to differentiate (default: the first float one)")
    render.add_argument("--rankdir", default="LR", choices=["LR", "TB", "BT", "RL"],
                        help="layout direction (default LR: inputs left, outputs right)")
    return parser


def _target_command(commands, common, name: str, run, help_text: str, with_args=True):
    sub = commands.add_parser(name, parents=[common], help=help_text, description=help_text)
    sub.add_argument("target", metavar="FILE:FUNC",
                     help="a Python file and a function in it, like model.py:loss, or a "
                          "method, like model.py:Model.loss")
    sub.add_argument("--self", default=None, metavar="EXPR", help=SELF_HELP)
    if with_args:
        sub.add_argument("--arg", action="append", default=[], type=_arg_type,
                         metavar="SPEC", help=ARG_HELP)
    sub.set_defaults(run=run)
    return sub


def _arg_type(text: str):
    try:
        return parse_arg(text)
    except CommandError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


# -- entry point -----------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (0, 1 error, 2 usage error)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse: --help (0) or a usage error (2), already printed
        return e.code if isinstance(e.code, int) else EXIT_USAGE
    try:
        return args.run(args)
    except CommandError as e:
        return _fail(str(e), e.code)
    except Exception as e:  # user errors are messages, not tracebacks
        if args.traceback:
            raise
        return _fail(_describe(e), EXIT_ERROR)


def _describe(e: BaseException) -> str:
    return f"{type(e).__name__}: {e}"


def _fail(message: str, code: int) -> int:
    print(f"autotrace: error: {message}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
