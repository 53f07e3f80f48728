"""`Unbound`: the run-time value of a variable that a `try` statement's path has not
bound (ops/trying.py). Any use of it raises Python's `UnboundLocalError` naming the
variable, as the plain function raises at that read; passing it along does not."""

from __future__ import annotations


class Unbound:
    """The run-time value of a variable a `try` statement's path has not bound: any use
    raises Python's `UnboundLocalError` naming it (passing it along does not)."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def fail(self, *args, **kwargs):
        raise UnboundLocalError(f"cannot access local variable '{self.name}' where it is not "
                                "associated with a value")

    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        self.fail()

    def __repr__(self) -> str:
        return f"Unbound({self.name!r})"

    def static_check(self, var) -> None:  # checking mode (compile/codegen.check_value)
        return None

    __array_ufunc__ = __array_function__ = __array__ = __str__ = __format__ = fail
    __bool__ = __len__ = __iter__ = __getitem__ = __setitem__ = __call__ = fail
    __float__ = __int__ = __index__ = __complex__ = __contains__ = fail
    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = fail
    __hash__ = None


for _op in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and", "or",
            "xor", "lshift", "rshift"):
    for _name in (f"__{_op}__", f"__r{_op}__", f"__i{_op}__"):
        setattr(Unbound, _name, Unbound.fail)
for _name in ("__neg__", "__pos__", "__invert__", "__abs__", "__round__"):
    setattr(Unbound, _name, Unbound.fail)
