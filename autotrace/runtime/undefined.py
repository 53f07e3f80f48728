"""`Undefined`: the value of a variable that a code path did not assign."""

from __future__ import annotations


class Undefined:
    """Stands for a variable that is unbound on the path taken; any use raises Python's
    `UnboundLocalError` naming it."""

    __slots__ = ("name", "where", "placeholder")

    def __init__(self, name: str, where: str = "", placeholder: bool = False):
        self.name = name
        self.where = where
        # A placeholder (the converter's `retval`) is only read on paths that assigned it,
        # so graph control flow may fill it with zeros of the type the other path gives.
        self.placeholder = placeholder

    def fail(self):
        where = f": {self.where}" if self.where else ""
        raise UnboundLocalError(
            f"cannot access local variable '{self.name}' where it is not associated with a "
            f"value{where}"
        )

    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        self.fail()

    def __repr__(self) -> str:
        return f"Undefined({self.name!r})"

    def __bool__(self):
        self.fail()

    def __iter__(self):
        self.fail()

    def __call__(self, *args, **kwargs):
        self.fail()

    def __getitem__(self, key):
        self.fail()


def _failing(self, *args):
    self.fail()


for _op in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and", "or",
            "xor", "lshift", "rshift", "lt", "le", "gt", "ge", "neg", "pos", "invert", "abs",
            "len", "float", "int", "index"):
    setattr(Undefined, f"__{_op}__", _failing)
    if _op in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and", "or",
               "xor", "lshift", "rshift"):
        setattr(Undefined, f"__r{_op}__", _failing)
