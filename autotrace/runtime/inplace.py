"""`setitem` / `setitem_aug`: in-place writes through a local name (`x[k] = v`,
`x[k] += v`), as the converter rewrites them (`convert/passes/inplace.py`).

A traced `x` is written in place (`autotrace/mutation.py`) and returned. A numpy array
that receives a traced key or value while tracing becomes a traced value holding its
contents (the generated code rebinds the name to it). Anything else is written as Python
writes it: `d[k] = v` on a dict, a numpy array written with Python values.
"""

from __future__ import annotations

import gc
import operator
import sys

import numpy as np

from autotrace import context, mutation
from autotrace import ops as F
from autotrace.errors import CONVERTED_CODES, GENERATED_CODES, TracingError, at_user_line
from autotrace.ops.shape import fresh_copy
from autotrace.runtime.values import is_traced
from autotrace.tensor import Tensor

_UFUNCS = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "truediv": np.true_divide,
           "floordiv": np.floor_divide, "mod": np.remainder, "pow": np.power,
           "matmul": np.matmul, "and": np.bitwise_and, "or": np.bitwise_or,
           "xor": np.bitwise_xor, "lshift": np.left_shift, "rshift": np.right_shift}


def setitem(x, key, value):
    """`x[key] = value`; returns what `x` names afterwards."""
    x = _traced_target(x, key, value)
    x[key] = value
    return x


def setitem_aug(x, key, op: str, value):
    """`x[key] op= value` (Python: `t = x[key]; t op= value; x[key] = t`)."""
    x = _traced_target(x, key, value)
    if isinstance(x, Tensor):
        mutation.setitem(x, key, F.augmented(_UFUNCS[op], F.getitem(x, key), value))
        return x
    item = x[key]
    if type(item) is np.ndarray and context.current_builder() is not None:
        target = _captured_target(item)  # `self.d["W"] -= v`: the caller's array, written
        if target is not None:  # back after each call; the container keeps that array
            result = getattr(operator, f"i{op}")(target, value)
            x[key] = item if result is target else result
            return x
        x[key] = AUGMENTED[f"i{op}"](item, value)  # a numpy array given a traced value
        return x
    x[key] = getattr(operator, f"i{op}")(item, value)
    return x


def setitem_into(x, key, value, external: bool) -> None:
    """`x[key] = value` where `x` is not a local name (an attribute, a container item, a
    global): written in place (a captured numpy array: its live value, written back after
    each call); see `refuse_numpy_target`."""
    target = _captured_target(x)
    if target is None:
        refuse_numpy_target(x, external, value, key)
        target = x
    target[key] = value


def setitem_aug_into(x, key, op: str, value, external: bool) -> None:
    """`x[key] op= value` where `x` is not a local name."""
    target = _captured_target(x)
    if target is None:
        refuse_numpy_target(x, external, value, key)
        target = x
    setitem_aug(target, key, op, value)


def augmented_into(x, op: str, value, external: bool):
    """`obj.attr op= value`: the new value of the attribute (`x` itself when written in
    place)."""
    array = _array_standing_for(x)  # `obj.attr` read as the captured array's live value
    if array is not None:
        result = getattr(operator, f"i{op}")(x, value)
        return array if result is x else result  # the attribute keeps the caller's array
    target = _captured_target(x)
    if target is None:
        refuse_numpy_target(x, external, value)
        return getattr(operator, f"i{op}")(x, value)
    result = getattr(operator, f"i{op}")(target, value)
    return x if result is target else result  # the attribute keeps the caller's array


def _array_standing_for(x):
    """The captured numpy array whose written value traced `x` is (`outer_array`), if so."""
    if not isinstance(x, Tensor) or context.current_builder() is None:
        return None
    for value, _, tensor, _ in context.current_builder().root.outer_arrays.values():
        if tensor is x or any(o is tensor for o in mutation._outers(x)):
            return value
    return None


def _captured_target(x):
    """While tracing, for a numpy array the capture scope reaches (`self.w`, `params["w"]`,
    a global), the traced value standing for it (read live, written back after each
    call: `outer_array`); else None."""
    if type(x) is not np.ndarray:
        return None
    builder = context.current_builder()
    if builder is None:
        return None
    written = written_stand_in(builder, x)
    if written is not None:
        return written
    top = builder
    while top.parent is not None:
        top = top.parent
    scope = getattr(top, "capture_scope", None)
    source = scope.source_of(x) if scope is not None else None
    if source is None:
        return None
    _refuse_other_names(x, through_name=False, items=False)
    return outer_array(lambda: x, source.var_name)


def _augmented_operator(op: str):
    plain = getattr(operator, f"i{op}")

    def run(x, y):
        if type(x) is np.ndarray and is_traced(y) and context.current_builder() is not None:
            x = live_numpy_target(x)  # a numpy array written with a traced value
        return plain(x, y)

    run.__name__ = run.__qualname__ = f"i{op}"
    run.__doc__ = (f"`x {op}= y` from generated code: a numpy `x` given a traced `y` becomes "
                   "a traced value first (`live_numpy_target`), then is written in place.")
    return run


AUGMENTED = {f"i{op}": _augmented_operator(op) for op in _UFUNCS}


def refuse_numpy_target(x, external: bool, value, key=()) -> None:
    """While tracing, a numpy array cannot take a traced value in place, and one reached
    from outside the function (`external`: a global or closure name, an argument's
    attribute) would be written once, while tracing, instead of on every call."""
    if type(x) is not np.ndarray or context.current_builder() is None:
        return
    traced = is_traced(value) or any(is_traced(k) for k in _parts(key))
    if not (traced or external):
        return
    raise TracingError(at_user_line(
        "An in-place write into a numpy array that is not a local variable of the traced "
        "function (a global or closure variable, an attribute, or an item of a container): "
        + ("a traced value cannot be written into it. " if traced else
           "it would be written once, when the function is traced, not on every call. ")
        + "Pass the array in as an argument (a traced function writes its arguments back "
        "into the caller's arrays, as numpy does), or bind it to a local name first "
        "(`w = self.w.copy()`) and return the new value."))


class LiveArray:
    """A global or closure numpy array a traced function writes into, captured by
    reference: the graph reads its current value on every call (`numpy()`, like a
    `Variable`'s) and the call writes the final value back into it (`concrete.py`)."""

    __slots__ = ("getter", "name", "shape", "dtype")

    def __init__(self, getter, name: str, value: np.ndarray):
        self.getter, self.name, self.shape, self.dtype = getter, name, value.shape, value.dtype

    def numpy(self) -> np.ndarray:
        value = self.getter()
        if type(value) is not np.ndarray or value.shape != self.shape or \
                value.dtype != self.dtype:
            raise TypeError(
                f"`{self.name}`, which the traced function writes into, is now "
                f"{_describe(value)}; it was traced as a {self.dtype} array of shape "
                f"{self.shape}. Keep its shape and dtype, or pass it as an argument.")
        return value


def _describe(value) -> str:
    if type(value) is np.ndarray:
        return f"a {value.dtype} array of shape {value.shape}"
    return f"a {type(value).__name__}"


def outer_array(getter, name: str):
    """The value of global/closure name `name` (`getter()`), which the function writes
    into: while tracing, for a numpy array, the traced value standing for it (one per
    array and trace, read live; in a graph `if` branch, the branch's own stand-in)."""
    value = getter()
    builder = context.current_builder()
    if builder is None or type(value) is not np.ndarray:
        return value
    top = builder
    while top.parent is not None:
        top = top.parent
    entry = top.outer_arrays.get(id(value))
    if entry is None:
        if top.capture_scope is not None:  # read before as it was: trace again (Retrace)
            top.capture_scope.check_write(value)
        live = LiveArray(getter, name, value)
        inner = top._capture(live, live, None)
        entry = top.outer_arrays[id(value)] = (value, live, Tensor(inner, top), inner)
    return mutation.stand_in_for_branch(builder, entry[2])


def live(value):
    """`value`, or, for a captured numpy array, the traced value standing for it: the one
    the trace has written in place (an entry of the root builder's `outer_arrays`: every
    read of that array object after the write, through any name or path, sees the write),
    or its graph input, read on every call (`CaptureScope.read`)."""
    if type(value) is not np.ndarray:
        return value
    builder = context.current_builder()
    if builder is None:
        return value
    written = written_stand_in(builder, value)
    if written is not None:
        return written
    scope = builder.root.capture_scope
    return value if scope is None else scope.read(value, builder.root)


def live_items(value):
    """The values an unpacking assignment gives its targets (`a, b = self.pair`): for a
    list or tuple holding numpy arrays, a tuple of their `live` values (so `np.sum(b)`
    after `a, b = self.pair` is read on every call, as `np.sum(self.pair[1])` is); any
    other value as it is (an iterator is not consumed ahead of the unpacking)."""
    if type(value) not in (list, tuple) or context.current_builder() is None:
        return value
    items = [live(v) if type(v) is np.ndarray else v for v in value]
    return tuple(items) if any(a is not b for a, b in zip(items, value)) else value


def live_iter(value, unpack: bool = False):
    """The iterable of a comprehension (or of `zip`/`enumerate`) in converted code: its
    items lazily, as Python iterates it, with numpy arrays as `live` gives them, and, where
    the target unpacks them (`unpack`: `for w, b in pairs`), each item as `live_items`
    gives it (a list, a tuple, `d.values()`, a generator...); a traced array as it is."""
    if isinstance(value, (Tensor, str, bytes)) or context.current_builder() is None:
        return value  # (a traced array iterates as itself: its rows are traced values)
    if unpack:
        return (live(v) if type(v) is np.ndarray else live_items(v) for v in value)
    return (live(v) if type(v) is np.ndarray else v for v in value)


def captured_isinstance(obj, classinfo) -> bool:
    """`isinstance(obj, classinfo)` from generated code: the traced value a read of a
    captured array gave (its graph input, `live`, or its written value, `outer_array`)
    answers as the numpy array it stands for does (`isinstance(self.W, np.ndarray)`)."""
    if type(obj) is Tensor and context.current_builder() is not None:
        root = context.current_builder().root
        scope = root.capture_scope
        entry = scope.handed.get(id(obj)) if scope is not None else None
        if entry is not None and entry[0] is obj:
            return isinstance(entry[1], classinfo)
        array = _array_standing_for(obj)
        if array is not None:
            return isinstance(array, classinfo)
    return isinstance(obj, classinfo)


def written_stand_in(builder, value):
    """The traced value for numpy array `value` if this trace writes it in place, else
    None."""
    top = builder
    while top.parent is not None:
        top = top.parent
    entry = top.outer_arrays.get(id(value))
    if entry is not None and entry[0] is value:
        return mutation.stand_in_for_branch(builder, entry[2])
    entry = top.numpy_written.get(id(value))
    if entry is not None and entry[0] is value:
        return mutation.stand_in_for_branch(builder, entry[1])
    return None


def _traced_target(x, key, value):
    """`x`, or the traced value a numpy array written while tracing with a traced key or
    value becomes (`live_numpy_target`)."""
    builder = context.current_builder()
    if type(x) is not np.ndarray or builder is None or \
            not (is_traced(value) or any(is_traced(k) for k in _parts(key))):
        return x
    return live_numpy_target(x)


def live_numpy_target(x: np.ndarray):
    """The traced value a numpy array written in place while tracing becomes: the array's
    live value (written back after each call) when a module's globals hold it (`w = W`),
    else its contents now (an array the function made, or one it reached otherwise: see
    docs/control_flow.md, "State")."""
    builder = context.current_builder()
    written = written_stand_in(builder, x)
    if written is not None:  # written before, through another name or path
        return written
    _refuse_other_names(x)
    name = _captured_name(builder, x)
    if name is not None:
        return outer_array(lambda: x, name)
    copy = builder.apply(fresh_copy, (x.copy(),), {})
    if builder.parent is None:  # later reads of the array object see it (`live`)
        builder.numpy_written[id(x)] = (x, copy)
    return copy


def _refuse_other_names(x, through_name: bool = True, items: bool = True) -> None:
    """Refuse a write that makes numpy array `x` a traced value when local variables of the
    converted functions running in this trace hold it besides the one written through
    (`through_name`; else the write is through an attribute or item): that one is rebound
    to the traced value, the others would keep showing the old values (numpy changes
    them all). One name in nested functions (a cell, or a loop variable the converter gives
    to a loop body) counts once. `items=False` (a captured array, whose reads through a
    container's item are `at__.live`, which gives the written value): only names holding
    `x` itself count, not items of lists or dicts they hold (`d['W']`)."""
    names = other_names(x, sys._getframe(2))
    if not items:
        names = [n for n in names if "[" not in n[0]]
    if len(names) < 1 + through_name:
        return
    shown = describe_names(names)
    raise TracingError(at_user_line(
        f"An in-place write with a traced value into a numpy array that local variables "
        f"hold: {shown}. The write makes it a traced value under the name or path written "
        "through only; other local names would keep showing the old values, where numpy "
        "changes them all. Use one name for the array (`v = w.copy()` if another should "
        "keep the old values); a function that fills an array passed in should return it "
        "(`out = fill(out, x)`)."))


def other_names(x, frame=None) -> list:
    """(name, function, line) of each local variable (or item path of a list, tuple or dict
    one holds) of the converted functions running in this trace that holds numpy array `x`,
    searched from `frame` (default: the caller's) outwards; one name in nested functions (a
    cell, or a loop variable the converter gives to a loop body) counts once."""
    found, frame = [], frame or sys._getframe(1)
    while frame is not None:
        code = frame.f_code
        if code.co_name == "_trace_concrete" and code.co_filename.endswith("tracing.py"):
            break
        if code in CONVERTED_CODES:
            for name, value in frame.f_locals.items():
                if name.startswith("at__"):
                    continue
                if value is x:
                    found.append((code, name, frame.f_lineno))
                else:  # a list, tuple or dict holding it: `bufs[0]` would show the old one
                    found += [(code, name + path, frame.f_lineno)
                              for path in _paths_to(value, x, _CONTAINER_DEPTH)]
        frame = frame.f_back
    names: dict = {}
    for code, name, line in found:  # a nested function's same name: the same variable (a
        if not any(n == name and (_shares(code, c, name) or _shares(c, code, name))  # cell,
                   for c, n in names):  # or a loop body or branch given it by the converter)
            names[(code, name)] = (name, code.co_name, line)
    return list(names.values())


def describe_names(names: list) -> str:
    """`other_names`' result for a message: `` `bufs[0]` (in g, line 5), ... ``."""
    return ", ".join(f"`{n}` (in {fn}, line {line})" for n, fn, line in names)


_CONTAINER_DEPTH = 3  # list / tuple / dict levels searched for another reference


def _paths_to(value, x, depth: int):
    """`[0]`, `['k'][1]`: the item paths by which a list, tuple or dict `value` holds `x`."""
    if depth == 0 or type(value) not in (list, tuple, dict) or len(value) > 64:
        return
    items = value.items() if type(value) is dict else enumerate(value)
    for key, item in items:
        if item is x:
            yield f"[{key!r}]"
        else:
            for rest in _paths_to(item, x, depth - 1):
                yield f"[{key!r}]{rest}"


def _shares(inner, outer, name: str) -> bool:
    """Variable `name` of code `inner` is the one of code `outer` it is nested in: a closure
    cell, or a parameter of a helper the converter made for a graph `if`/loop/`try`."""
    if not _nested(inner, outer):
        return False
    return name in inner.co_freevars or inner in GENERATED_CODES


def _nested(inner, outer) -> bool:
    """Code object `inner` is defined (at any depth) inside code object `outer`."""
    stack = [c for c in outer.co_consts if isinstance(c, type(outer))]
    while stack:
        c = stack.pop()
        if c is inner:
            return True
        stack += [k for k in c.co_consts if isinstance(k, type(outer))]
    return False


def _captured_name(builder, x):
    """How the trace reaches `x` from outside (`m.w`, `W`), if it does: an array of the
    capture scope (found by identity), or one a module's globals hold; else None."""
    top = builder
    while top.parent is not None:
        top = top.parent
    scope = getattr(top, "capture_scope", None)
    source = scope.source_of(x) if scope is not None else None
    if source is not None:
        return source.var_name
    return "the array" if _held_by_a_module(x) else None


def _held_by_a_module(x) -> bool:
    modules = {id(m.__dict__) for m in list(sys.modules.values()) if hasattr(m, "__dict__")}
    return any(type(r) is dict and id(r) in modules for r in gc.get_referrers(x))


def _parts(key):
    for item in key if isinstance(key, tuple) else (key,):
        if isinstance(item, slice):
            yield from (item.start, item.stop, item.step)
        else:
            yield item
