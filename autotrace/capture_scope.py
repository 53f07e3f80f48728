"""`CaptureScope`: what one trace can reach from outside its arguments (captures.py).

It collects the roots (argument objects, bound objects, globals and closure cells of the
user functions the trace runs), walks the names their code mentions, and turns the arrays
that reach ops into `Capture`s (graph inputs of the root graph) and the Python values
into `Guard`s.
"""

from __future__ import annotations

import inspect
import types

import numpy as np

from autotrace.captures import (
    _ARRAYS,
    _CONTAINERS,
    _GUARDED,
    _OPAQUE,
    MAX_DEPTH,
    MAX_ITEMS,
    MAX_VISITS,
    Capture,
    Guard,
    Source,
    content_guard_bytes,
    contents_of,
)
from autotrace.code_mentions import mentioned, set_first
from autotrace.errors import (
    CONVERTED_CODES,
    TracingError,
    UnsupportedError,
    is_library_file,
    location_of_frame,
    user_frame,
)
from autotrace.generator_state import locate_draw, rng_state, same_state, set_rng_state
from autotrace.pytree import children_of, is_node_type
from autotrace.signature import leaf_key


class ReadPlan:
    """How converted code's reads of captured arrays are traced (`CaptureScope.read`):
    `graph` (the first try): a read is the array's graph input, so what the code computes
    from it is graph ops, read live; `outer`: ids of the arrays the trace writes in place,
    read from their first read as the live value written back (`runtime/inplace.py`);
    otherwise (`graph` False, after a try that needed a Python value of one) reads give
    the numpy array, and a captured array read that way is compared by content."""

    def __init__(self):
        self.graph = True
        self.outer: dict = {}  # id(array) -> array

    def update(self, retrace: Retrace) -> bool:
        """Take `retrace`'s lesson; False if it teaches nothing new (trace as it was)."""
        if retrace.array is not None:
            if id(retrace.array) in self.outer:
                return False
            self.outer[id(retrace.array)] = retrace.array
            return True
        if not self.graph:
            return False
        self.graph = False
        return True


class Retrace(BaseException):  # noqa: N818 - not an error: control flow of the tracer
    """Internal: trace again with `ReadPlan.update(self)` (`array`: one the trace writes in
    place, to read as its live value from the first read; None: read arrays as numpy).
    A BaseException, so the user's `except Exception` does not catch it."""

    def __init__(self, array=None, cause: BaseException | None = None):
        super().__init__()
        self.array, self.cause = array, cause


class CaptureScope:
    """The captured state of one trace (see the module docstring). Lives on the root
    `GraphBuilder` as `capture_scope` while the trace runs."""

    def __init__(self, leaves, paths, plan: ReadPlan | None = None):
        self.plan = plan if plan is not None else ReadPlan()
        self.handed: dict = {}  # id(Tensor) -> Tensor: graph inputs reads gave as values
        self.raw_reads: dict = {}  # id(array) -> (array, where): read as numpy arrays
        self.unconverted = False  # code that is not converted runs in the trace
        self._generators: dict = {}  # id -> (captured generator, Source, state when found)
        self._arg_roots = [(i, x, p) for i, (x, p) in enumerate(zip(leaves, paths))
                           if _walkable(x)]
        self._object_roots: list = []  # (object, label)
        self._global_roots: dict = {}  # id(globals) -> (globals, names)
        self._cell_roots: dict = {}  # id(cell) -> (cell, name)
        self._names: set = set()  # attribute names and str keys the code mentions
        self._every_attr = False  # the code reads attributes by computed names
        self._seen_codes: set = set()
        self._arrays: dict = {}  # id(array) -> (array, Source)
        self._guards: dict = {}  # Source -> Guard
        self._parents: dict = {}  # Source -> the container Sources on its path
        self._dirty = True
        self.captures: list[Capture] = []
        self.noted: list = []  # what `note` was given, in order
        self._reached: set = set()
        self._by_source: dict = {}  # Source -> (Capture, Tensor)
        self.unguarded: list = []  # (array, Source): read by plain numpy, too big to guard
        # Sources of the captured arrays an op met as numpy arrays (or views of them)
        self.raw_inputs: set = set()
        self.rebuilt: dict = {}  # id -> argument object rebuilt from its leaves for the trace

    # -- what the trace runs ------------------------------------------------------------
    def note(self, fn, fileless: bool = False) -> None:
        """A callable the trace runs (the traced function, or a user function it calls):
        its bound objects, globals and closure cells become roots."""
        before = (len(self._seen_codes), len(self._object_roots))
        self._note(fn, fileless)
        if (len(self._seen_codes), len(self._object_roots)) != before:
            self.noted.append(fn)

    def _note(self, fn, fileless: bool = False) -> None:
        while True:
            if getattr(fn, "python_function", None) is not None:
                fn = fn.python_function
            elif isinstance(fn, types.MethodType):
                self._add_object(fn.__self__, _first_param(fn.__func__))
                fn = fn.__func__
            elif hasattr(fn, "func") and hasattr(fn, "args") and hasattr(fn, "keywords"):
                for x in list(fn.args) + list(fn.keywords.values()):
                    if _walkable(x):
                        self._add_object(x, type(x).__name__)
                fn = fn.func
            elif isinstance(fn, types.FunctionType):
                break
            else:
                call = inspect.getattr_static(type(fn), "__call__", None)
                if not isinstance(call, types.FunctionType):
                    return
                self._add_object(fn, "self")
                fn = call
        code = fn.__code__
        if id(code) in self._seen_codes or is_library_file(code.co_filename) and \
                not (fileless and code.co_filename.startswith("<")):
            return
        self._seen_codes.add(id(code))
        names, keys = mentioned(code)
        self._names |= names | keys
        # `getattr(obj, name)`, `vars(obj)`: attributes the code does not name, so the
        # walk takes every attribute an object stores
        self._every_attr = self._every_attr or not names.isdisjoint(_DYNAMIC_ATTRS)
        globs = self._global_roots.setdefault(id(fn.__globals__), (fn.__globals__, set()))
        own = set_first(code)  # globals it assigns before reading: its own values
        globs[1].update(n for n in names if n in fn.__globals__ and n not in own)
        if code not in CONVERTED_CODES and fn.__closure__:  # a nested def's cells are locals
            for name, cell in zip(code.co_freevars, fn.__closure__):
                self._cell_roots.setdefault(id(cell), (cell, name))
        self._walk()  # now: Python values are read as the code is about to read them

    def _add_object(self, obj, label: str) -> None:
        """A bound object as a root, unless the walk reached it already (`self.layer(x)`
        for a layer held by a root: its path from there is the one to read)."""
        if id(obj) in self._reached or not _walkable(obj):
            return
        if all(o is not obj for o, _ in self._object_roots):
            self._object_roots.append((obj, label))
            self._walk()

    # -- the walk -----------------------------------------------------------------------
    def _walk(self) -> None:
        """Find arrays, guarded values and containers reachable through mentioned names
        (breadth first, so the shortest path wins; values found earlier keep their
        first reading)."""
        self._dirty = False
        queue = [(Source("arg", i, p), x) for i, x, p in self._arg_roots]
        queue += [(Source("object", o, label), o) for o, label in self._object_roots]
        for globs, names in self._global_roots.values():
            queue += [(Source("global", globs, n), globs[n]) for n in sorted(names)
                      if n in globs]
        for cell, name in self._cell_roots.values():
            try:
                queue.append((Source("cell", cell, name), cell.cell_contents))
            except ValueError:  # empty cell
                pass
        visited = self._reached = set()  # ids of the objects walked into
        for source, value in queue:  # grows while iterating
            if len(visited) > MAX_VISITS:
                break
            if isinstance(value, _ARRAYS):
                self._arrays.setdefault(id(value), (value, source))
                continue
            if isinstance(value, _GENERATORS):  # draws run on it: rebinding it traces again
                if id(value) not in self._generators:  # its state, to see draws while tracing
                    self._generators[id(value)] = (value, source, rng_state(value))
                if source.steps or source.kind in ("global", "cell"):
                    self._guards.setdefault(source, Guard(source, None, value, identity=True))
                continue
            if type(value) in _GUARDED:
                if source.steps or source.kind in ("global", "cell"):
                    self._guards.setdefault(source, Guard(source, leaf_key(value), value))
                continue
            if id(value) in visited or len(source.steps) >= MAX_DEPTH:
                continue
            visited.add(id(value))
            for step, child in self._children(value):
                child_source = source.child(step)
                if isinstance(value, _CONTAINERS):
                    self._parents.setdefault(child_source, (source, value))
                elif source in self._parents:
                    self._parents.setdefault(child_source, self._parents[source])
                queue.append((child_source, child))

    def _children(self, value):
        """(step, value) pairs worth walking into."""
        if isinstance(value, (list, tuple)):
            if type(value) in (list, tuple) or hasattr(value, "_fields"):
                return [(("item", i), x) for i, x in enumerate(value)] \
                    if len(value) <= MAX_ITEMS else []
            return []
        if type(value) is dict:
            if len(value) > MAX_ITEMS:
                return [(("item", k), value[k]) for k in self._names if k in value]
            return [(("item", k), v) for k, v in value.items() if type(k) in (str, int)]
        if not _walkable(value):
            return []
        out = []
        names = self._names
        if self._every_attr:
            own = getattr(value, "__dict__", None)
            if type(own) is dict:
                names = names | {k for k in own if type(k) is str}
        for name in sorted(names):
            found = _static_attr(value, name)
            if found is not _MISSING:
                out.append((("attr", name), found))
        return out

    # -- used by the builder ------------------------------------------------------------
    def capture(self, array, builder, raw: bool = False):
        """The graph input (a Tensor of the root `builder`) for `array` if it was read
        from captured state, else None (a constant made by the trace). `raw`: an op met
        the numpy array itself, reached by a path converted code does not wrap in
        `at__.live` (`operator.getitem(d, "w")`, a library function's result), where
        plain numpy may also have read it; so the finished trace compares it by content
        (`guards`)."""
        if self._dirty:
            self._walk()
        found = self._arrays.get(id(array))
        if found is None or found[0] is not array:
            self._view_of_capture(array)
            return None
        source = found[1]
        if raw:
            self.raw_inputs.add(source)
        known = self._by_source.get(source)
        if known is not None:
            return known[1]
        capture = Capture(source, type(array), tuple(array.shape), array.dtype, value=array)
        tensor = builder.add_input(capture.shape, capture.dtype, source.var_name)
        capture.var = tensor.symbol
        self.captures.append(capture)
        self._by_source[source] = (capture, tensor)
        return tensor

    def read(self, array, builder):
        """A read of numpy array `array` in converted code (`at__.live`): for a captured
        numeric array, its graph input (`plan.graph`) or live written value
        (`plan.outer`); else `array`, noting a read of a captured array as numpy."""
        if self._dirty:
            self._walk()
        found = self._arrays.get(id(array))
        if found is None or found[0] is not array:
            return array
        if id(array) in self.plan.outer:
            # lazy import: runtime.inplace imports the builder layers above this module
            from autotrace.runtime.inplace import outer_array
            return outer_array(lambda: array, found[1].var_name)
        if self.plan.graph and array.ndim and array.dtype.kind in "biufc":
            tensor = self.capture(array, builder)
            self.handed[id(tensor)] = (tensor, array)
            return tensor
        if id(array) not in self.raw_reads:
            frame = user_frame(2)
            self.raw_reads[id(array)] = (array, location_of_frame(frame) if frame else None)
        return array

    def check_draws(self, where: str, rerun=None) -> None:
        """`UnsupportedError` if a captured generator advanced while tracing: code that is
        not converted (a library function, a function traced with `autograph=False`) drew
        from it once, at trace time, numbers the graph would freeze. The generator is put
        back as it was. `rerun()` runs that code again to find the user's line drawing."""
        for gen, source, state in list(self._generators.values()):
            if same_state(rng_state(gen), state):
                continue
            set_rng_state(gen, state)
            at = locate_draw(gen, state, rerun) if rerun is not None else None
            raise UnsupportedError(
                f"The captured generator {source.describe()} drew numbers while the function "
                "was traced, in code that autotrace does not convert (a library function, or "
                "a function traced with autograph=False): they would be frozen into the "
                "graph, the same on every call. Draw in the traced function's own converted "
                "code (`rng.normal(...)` there runs on every call), or draw outside it and "
                f"pass the numbers in.\n  at {at or where}")

    def check_write(self, array) -> None:
        """`array` is about to be written in place as a captured array (`outer_array`):
        trace again reading it as its written value from the first read if this trace
        read it already (as a graph input or as numpy, which would show the old value)."""
        if id(array) in self.plan.outer:
            return
        if id(array) in self.raw_reads or any(c.value is array for c in self.captures):
            raise Retrace(array)

    def note_rebuilt(self, value) -> None:
        """The argument objects the trace rebuilt from their leaves (dataclasses, registered
        pytrees) in `value`: not the caller's objects (`rebuilt`)."""
        if type(value) in (tuple, list):
            for x in value:
                self.note_rebuilt(x)
        elif type(value) is dict:
            for x in value.values():
                self.note_rebuilt(x)
        elif is_node_type(type(value)) or hasattr(value, "_fields"):
            if not isinstance(value, tuple):
                self.rebuilt[id(value)] = value
            for x in (value if isinstance(value, tuple) else children_of(value)[2]):
                self.note_rebuilt(x)

    def reaches(self, obj) -> bool:
        """`obj` is a root of this trace's captured state or was walked from one (it
        existed before the call: an argument, a bound object, state of a global): the
        walk's visited objects, roots first."""
        if self._dirty:
            self._walk()
        return id(obj) in self._reached

    def source_of(self, array):
        """The `Source` through which the trace reaches `array` (by identity), or None."""
        if self._dirty:
            self._walk()
        found = self._arrays.get(id(array))
        return found[1] if found is not None and found[0] is array else None

    def _view_of_capture(self, array) -> None:
        """`array` may be a view numpy made of a captured array (`self.W.T`, `W[0]`): it
        stays a constant of the graph, held by reference (so writes into the array show),
        and the array itself is guarded by identity (rebinding it traces again) and, as
        plain numpy may have read it too, by content (`guards`)."""
        owner = getattr(array, "base", None)  # the array owning the memory (numpy >= 1.7)
        if not isinstance(owner, np.ndarray):
            return
        for captured, source in list(self._arrays.values()):
            if (captured is owner or captured.base is owner) and \
                    isinstance(captured, np.ndarray):
                self.raw_inputs.add(source)  # plain numpy may read it too: see `guards`
                if source not in self._guards:
                    self._guards[source] = Guard(source, None, captured, identity=True)

    def guards(self, written=frozenset(), where: str = "") -> list[Guard]:
        """Guards of the finished trace: mentioned Python values, and the lengths of the
        containers on the path of a capture or guard. `written`: ids of the captured
        arrays the trace writes in place (read live, so not guarded by content); `where`:
        the traced function's location, for messages about code that is not converted."""
        if self._dirty:
            self._walk()
        out = dict(self._guards)
        # Arrays read as numpy while tracing (by converted code that needed a Python value
        # of one, or by code that is not converted: then any of them) and arrays the code
        # mentions but no op took: their values may be constants of the graph, so writing
        # into one traces again (a content guard: its bytes compared on every call), and
        # so does rebinding it.
        inputs = {c.source for c in self.captures}
        limit = content_guard_bytes()
        for array, source in list(self._arrays.values()):
            if id(array) in written:
                if source not in inputs and source not in out:
                    out[source] = Guard(source, None, array, identity=True)
                continue
            raw = self.raw_reads.get(id(array))
            read = raw is not None or self.unconverted
            if not read and source not in self.raw_inputs and (source in inputs or
                                                                source in out):
                continue  # a graph input (or a view's base) that nothing read as numpy
            contents = contents_of(array, limit)
            if contents is None and isinstance(array, np.ndarray) and \
                    array.dtype.kind in "biufc":
                if read:
                    raise TracingError(_too_large(array, source, raw, where, limit))
                self.unguarded.append((array, source))
            out[source] = Guard(source, None, array, identity=True, contents=contents)
        for source in [c.source for c in self.captures] + list(self._guards):
            parent = self._parents.get(source)
            while parent is not None:
                psource, container = parent
                if psource not in out and (psource.steps or psource.kind != "arg"):
                    out[psource] = Guard(psource, len(container), type(container), length=True)
                parent = self._parents.get(psource)
        return list(out.values())


def _too_large(array, source, raw, where: str, limit: int) -> str:
    at = f"\n  at {raw[1]}" if raw is not None and raw[1] else \
        f"\n  in code that is not converted ({where})" if where else ""
    return (
        f"The captured array {source.describe()} ({array.nbytes} bytes) was read as a numpy "
        "array while tracing (a Python value made from it, a numpy function the graph has "
        "no op for, or code that is not converted), so what was computed from it is a "
        "constant of the graph; it is too large to be compared on every call (over "
        f"{limit} bytes), so a write into it between calls would not be seen. Compute with "
        "it in the traced function's own code with numpy ops (they read it on every call), "
        "pass it as an argument, or raise the limit with "
        f"`at.config.content_guard_bytes({array.nbytes})` to compare it on every call "
        f"(about 40 us per MiB).{at}")


_MISSING = object()
_DYNAMIC_ATTRS = frozenset(("getattr", "vars", "__dict__"))
_GENERATORS = (np.random.Generator, np.random.RandomState)


def _walkable(x) -> bool:
    """Objects whose attributes or items may hold captured state: user objects, classes
    and modules, and containers; not arrays, Python values, functions, tensors, or the
    objects, classes and modules of libraries."""
    if isinstance(x, type):
        return not _is_library(x)
    if isinstance(x, types.ModuleType):
        return not is_library_file(getattr(x, "__file__", None) or "<builtin>")
    if isinstance(x, _ARRAYS + _GUARDED + _OPAQUE):
        return False
    return not (type(x).__module__ or "").startswith(("autotrace", "numpy"))


def _is_library(cls: type) -> bool:
    module = getattr(cls, "__module__", "") or ""
    return module in ("builtins", "abc") or module.startswith(("autotrace", "numpy"))


def _static_attr(obj, name: str):
    """`obj.name` without running descriptors (properties, methods): instance dict, then
    the class dictionaries; `_MISSING` if it is not a plain stored value."""
    try:
        own = object.__getattribute__(obj, "__dict__")
    except AttributeError:
        own = None
    if own is not None and type(own) is dict and name in own:
        value = own[name]
        return value if not isinstance(value, _OPAQUE) else _MISSING
    for cls in (obj.__mro__ if isinstance(obj, type) else type(obj).__mro__):
        if name in cls.__dict__:
            value = cls.__dict__[name]
            if hasattr(type(value), "__get__") or isinstance(value, _OPAQUE):
                if isinstance(value, types.MemberDescriptorType) and not isinstance(obj, type):
                    try:  # a __slots__ member
                        return value.__get__(obj, type(obj))
                    except AttributeError:
                        return _MISSING
                return _MISSING
            return value
    return _MISSING


def _first_param(fn) -> str:
    code = getattr(fn, "__code__", None)
    return code.co_varnames[0] if code is not None and code.co_argcount else "self"


def note_call(builder, fn, converted: bool = True) -> None:
    """Tell the trace `builder` belongs to that user code `fn` runs in it (`converted`:
    as converted code, whose reads of captured arrays go through `CaptureScope.read`;
    if not, `fn` may be code without a file, `exec`'d or typed at a prompt)."""
    while builder.parent is not None:
        builder = builder.parent
    scope = getattr(builder, "capture_scope", None)
    if scope is not None:
        scope.unconverted = scope.unconverted or not converted
        scope.note(fn, fileless=not converted)
