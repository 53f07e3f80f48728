"""A seeded generator of random, well-formed Python + numpy programs.

`generate(seed)` returns a `Program`: the text of a module holding small helper functions
and a main function `f(x, y, k, c, n)` (x, y: float64[3] arrays; k: Python int; c: Python
float; n: numpy int64 scalar, a traced value) built from assignments of bounded numpy
arithmetic, `if`/`elif`/`else` on traced and Python predicates, `while` loops with traced
conditions that always terminate (a counter with a trip bound), `for` over Python and
traced ranges, `break`, `continue`, early returns (in nested loops too), conditional
expressions, `and`/`or`/`not`, nested lambdas, helpers with traced `if`s, tuples returned
from branches and, in some programs, returns only under Python conditions so that the
function may fall off its end (returning None). State constructs: in-place writes into a
local buffer (`buf[i] = s`, `buf += a`, `buf[1:] -= a[:2]`), a list appended in loops and
branches (`hs.append(s)`, read back as `hs[-1]` and `np.mean(np.stack(hs))`), and
`try`/`except` around a statement that may raise (a division by `np.floor(...)` under
`np.errstate(divide="raise")`, `np.sqrt` under `invalid="raise"`, a Python `//` by
`k - j`), with `else`/`finally` sometimes.

Every program is valid whatever path its inputs take: every variable is bound before
the first statement that may branch, each variable keeps one kind (array, traced scalar,
Python int) on every path, and every return of a function has the same structure, so
the only differences between plain Python and the traced function are autotrace's.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

ARRAYS, SCALARS = ("x", "y", "a", "b"), ("s", "t")
RETURN_KINDS = ("arr", "scal", "arr,scal", "scal,arr,int", "arr,int")
_UNARY = ("np.tanh({})", "np.sin({})", "np.cos({})", "np.exp(np.tanh({}))",
          "np.sqrt({0} * {0} + 1.0)", "np.abs({})", "(np.cumsum({}) * 0.25)", "{}[::-1]",
          "-{}")  # fmt: skip
_REDUCE = ("np.sum({})", "np.max({})", "np.min({})", "np.mean({})")


@dataclass
class Program:
    """One generated module: its source, the kind of value `f` returns (see
    `RETURN_KINDS`), and the Python arguments (k, c) of each signature to test."""

    seed: int
    source: str
    returns: str
    signatures: list


class _Scope:
    """What the statement being generated may use: loop indices (name, traced?), whether it
    is inside a loop, the function's return kind, and whether returns must stay under
    Python conditions (a function that may fall off its end)."""

    def __init__(self, returns, helpers, lambdas, python_returns=False, state=False):
        self.indices, self.loops = [], 0
        self.state = state  # the main function: `buf`, `hs` and `try` statements
        self.in_try = False  # a `try` (no nested one, no `hs.append`: refused there)
        self.returns, self.helpers, self.lambdas = returns, helpers, lambdas
        self.python_returns = python_returns
        self.traced_depth = 0  # enclosing traced ifs/loops: returns there need Python preds


class _Generator:
    def __init__(self, seed: int):
        self.seed = seed
        self.rng = random.Random(seed)
        self.lines: list[str] = []
        self.counter = 0

    # -- expressions -----------------------------------------------------------------
    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def const(self) -> str:
        return self.rng.choice(("0.0", "0.5", "-0.5", "1.0", "-1.0", "0.25", "2.0", "c"))

    def array(self, scope, depth=0, names=ARRAYS) -> str:
        r = self.rng.random()
        if depth > 1 or r < 0.35:
            if scope.state and names is ARRAYS and self.chance(0.15):
                return self.rng.choice(("(buf * 1.0)", "np.tanh(buf)"))
            return self.rng.choice(names)
        sub = lambda: self.array(scope, depth + 1, names)
        if r < 0.5:
            return self.rng.choice(_UNARY).format(sub())
        if r < 0.65:
            op = self.rng.choice(("+", "-", "*"))
            return f"({sub()} {op} {self.rng.choice(('0.5', '0.25'))} * {sub()})"
        if r < 0.72:
            left, factor = sub(), self.rng.choice(("k", "c", "m", "0.5"))
            return f"({left} * {factor} + {self.scalar(scope, depth + 1)})"
        if r < 0.78:
            return f"np.where({sub()} > {self.const()}, {sub()}, {sub()})"
        if r < 0.82:
            return f"np.maximum({sub()}, {sub()})"
        if r < 0.9 and scope.helpers:
            return f"{self.rng.choice(scope.helpers)}({sub()}, {self.scalar(scope, depth + 1)})"
        if r < 0.95 and scope.lambdas:
            return f"{self.rng.choice(scope.lambdas)}({sub()})"
        return f"({sub()} if {self.predicate(scope, depth + 1)} else {sub()})"

    def scalar(self, scope, depth=0) -> str:
        r = self.rng.random()
        if depth > 1 or r < 0.35:
            if scope.state and self.chance(0.1):
                return self.rng.choice(("hs[-1]", "np.mean(np.stack(hs))"))
            return self.rng.choice(SCALARS)
        if r < 0.6:
            return self.rng.choice(_REDUCE).format(self.array(scope, depth + 1))
        if r < 0.7:
            return f"{self.array(scope, depth + 1)}[{self.index(scope)}]"
        if r < 0.8:
            return f"np.tanh({self.scalar(scope, depth + 1)})"
        if r < 0.9:
            return f"({self.scalar(scope, depth + 1)} * 0.5 + {self.scalar(scope, depth + 1)})"
        return f"({self.scalar(scope, depth + 1)} if {self.predicate(scope, depth + 1)} " \
               f"else {self.scalar(scope, depth + 1)})"

    def index(self, scope) -> str:
        names = ["0", "1", "2", "-1", "k % 3", "m % 3"] + [f"{i} % 3" for i, _ in scope.indices]
        return self.rng.choice(names)

    def integer(self, scope) -> str:
        names = ["k", "m", "1", "2"] + [i for i, _ in scope.indices]
        return self.rng.choice(names)

    def python_predicate(self, scope) -> str:
        """A predicate on values that are Python on every path (k, c, Python loop indices)."""
        names = ["k"] + [i for i, traced in scope.indices if not traced]
        r = self.rng.random()
        if r < 0.6:
            return f"{self.rng.choice(names)} {self.rng.choice(('==', '>', '<', '>='))} " \
                   f"{self.rng.randint(0, 3)}"
        if r < 0.8:
            return f"c {self.rng.choice(('>', '<'))} {self.rng.choice(('0.0', '0.5'))}"
        return f"not {self.rng.choice(names)} == {self.rng.randint(0, 3)}"

    def predicate(self, scope, depth=0) -> str:
        if scope.python_returns:
            return self.python_predicate(scope)
        r = self.rng.random()
        if depth > 1 or r < 0.45:
            cmp = self.rng.choice(("<", ">", "<=", ">="))
            return f"{self.scalar(scope, depth + 1)} {cmp} {self.const()}"
        if r < 0.55:
            return f"{self.rng.choice(SCALARS)} > {self.rng.choice(SCALARS)}"
        if r < 0.65:
            return f"n {self.rng.choice(('>', '==', '<'))} {self.rng.randint(0, 3)}"
        if r < 0.75:
            return self.python_predicate(scope)
        if r < 0.8:
            return f"m % 2 == {self.rng.randint(0, 1)}"
        if r < 0.9:
            op = self.rng.choice(("and", "or"))
            return f"({self.predicate(scope, depth + 1)} {op} {self.predicate(scope, depth + 1)})"
        return f"not {self.predicate(scope, depth + 1)}"

    def value(self, kind: str, scope) -> str:
        if kind == "arr":
            return self.array(scope)
        if kind == "scal":
            return self.scalar(scope)
        return self.rng.choice(("m", "k", "m + 1", "2"))

    def return_value(self, scope) -> str:
        parts = [self.value(kind, scope) for kind in scope.returns.split(",")]
        return ", ".join(parts) if len(parts) > 1 else parts[0]

    # -- statements ------------------------------------------------------------------
    def emit(self, indent: int, text: str) -> None:
        self.lines.append("    " * indent + text)

    def block(self, indent, scope, size, depth) -> None:
        for _ in range(size):
            self.statement(indent, scope, depth)

    def statement(self, indent, scope, depth) -> None:
        r = self.rng.random()
        if depth >= 3 or r < 0.35:
            return self.assign(indent, scope)
        if r < 0.55:
            return self.if_stmt(indent, scope, depth)
        if r < 0.67:
            return self.for_stmt(indent, scope, depth)
        if r < 0.77:
            return self.while_stmt(indent, scope, depth)
        if r < 0.87 and scope.loops:
            return self.emit(indent, self.rng.choice(("break", "continue")))
        if r < 0.95 and (depth or self.chance(0.2)):
            return self.return_stmt(indent, scope)
        if r < 0.97 and depth:
            return self.emit(indent, "raise ValueError('generated raise')")
        if scope.state and not scope.in_try and not scope.python_returns and self.chance(0.5):
            # (not where returns must stay under Python conditions: an exception is not)
            return self.try_stmt(indent, scope, depth)
        return self.assign(indent, scope)

    def assign(self, indent, scope) -> None:
        if scope.state and self.chance(0.25):
            return self.state_write(indent, scope)
        r = self.rng.random()
        if r < 0.5:
            name, value = self.rng.choice(("a", "b")), self.array(scope)
            if self.chance(0.5):
                value = f"np.tanh({value})"
        elif r < 0.85:
            name, value = self.rng.choice(("s", "t")), self.scalar(scope)
            if self.chance(0.5):
                value = f"np.tanh({value})"
        else:
            name = "m"
            value = self.rng.choice(("m + 1", "m - 1", "m + k", "k", f"{self.integer(scope)} + 1"))
        self.emit(indent, f"{name} = {value}")

    def state_write(self, indent, scope) -> None:
        """An in-place write into `buf`, or an append to `hs` (not inside a `try`)."""
        r = self.rng.random()
        if r < 0.3 and not scope.in_try:
            return self.emit(indent, f"hs.append({self.scalar(scope, 1)})")
        if r < 0.55:
            return self.emit(indent, f"buf[{self.index(scope)}] = {self.scalar(scope, 1)}")
        if r < 0.7:
            return self.emit(indent, f"buf += {self.array(scope, 1)} * 0.5")
        if r < 0.85:
            return self.emit(indent, f"buf[1:] -= {self.array(scope, 1)}[:2]")
        return self.emit(indent, "buf *= 0.5")

    def try_stmt(self, indent, scope, depth) -> None:
        """`try` around a statement that may raise, first in the body (a handler's
        gradient needs the body not to have changed a float before it raised)."""
        scope.in_try = True
        self.emit(indent, "try:")
        r = self.rng.random()
        if r < 0.4:
            self.emit(indent + 1, 'with np.errstate(divide="raise"):')
            self.emit(indent + 2, f"s = s + 1.0 / np.floor({self.scalar(scope, 1)} * 2.0)")
            caught = "FloatingPointError"
        elif r < 0.75:
            self.emit(indent + 1, 'with np.errstate(invalid="raise"):')
            self.emit(indent + 2, f"a = np.sqrt({self.array(scope, 1)})")
            caught = "FloatingPointError"
        else:
            self.emit(indent + 1, f"m = m + 6 // (k - {self.rng.randint(0, 3)})")
            caught = "ZeroDivisionError"
        if self.chance(0.6):
            self.body(indent + 1, scope, depth)
        self.emit(indent, f"except {caught}:")
        self.body(indent + 1, scope, depth)
        if self.chance(0.25):
            self.emit(indent, "else:")
            self.assign(indent + 1, scope)
        if self.chance(0.25):
            self.emit(indent, "finally:")
            self.assign(indent + 1, scope)
        scope.in_try = False

    def if_stmt(self, indent, scope, depth) -> None:
        python = scope.python_returns
        pred = (lambda: self.python_predicate(scope)) if python else (lambda: self.predicate(scope))
        self.emit(indent, f"if {pred()}:")
        self.body(indent + 1, scope, depth)
        for _ in range(self.rng.choice((0, 0, 1, 2))):
            self.emit(indent, f"elif {pred()}:")
            self.body(indent + 1, scope, depth)
        if self.chance(0.5):
            self.emit(indent, "else:")
            self.body(indent + 1, scope, depth)

    def body(self, indent, scope, depth) -> None:
        self.block(indent, scope, self.rng.randint(1, 2), depth + 1)

    def loop_body(self, indent, scope, depth, index=None) -> None:
        if index:
            scope.indices.append(index)
        scope.loops += 1
        self.body(indent, scope, depth)
        if self.chance(0.4):
            self.emit(indent, f"if {self.predicate(scope)}:")
            self.emit(indent + 1, self.rng.choice(("break", "continue")))
            if self.chance(0.5):
                self.assign(indent, scope)
        scope.loops -= 1
        if index:
            scope.indices.pop()

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def for_stmt(self, indent, scope, depth) -> None:
        i = self.fresh("i")
        bound = self.rng.choice(("k", "3", "2", "n", "np.sum(x > 0.0)", "m % 4"))
        traced = bound in ("n", "np.sum(x > 0.0)")
        if scope.python_returns and traced:
            bound = "k"
            traced = False
        self.emit(indent, f"for {i} in range({bound}):")
        self.loop_body(indent + 1, scope, depth, (i, traced))

    def while_stmt(self, indent, scope, depth) -> None:
        j, trips = self.fresh("j"), self.rng.randint(1, 4)
        if scope.python_returns:
            self.emit(indent, f"{j} = 0")
            self.emit(indent, f"while {j} < {trips} and {self.python_predicate(scope)}:")
        elif self.chance(0.3):  # a traced counter: the loop is a graph loop whatever its body
            self.emit(indent, f"{j} = s * 0.0 + {trips}")
            self.emit(indent, f"while {j} > 0.0:")
            self.emit(indent + 1, f"{j} = {j} - 1.0")
            return self.loop_body(indent + 1, scope, depth)
        else:
            self.emit(indent, f"{j} = 0")
            self.emit(indent, f"while {self.predicate(scope)} and {j} < {trips}:")
        self.emit(indent + 1, f"{j} = {j} + 1")
        self.loop_body(indent + 1, scope, depth)

    def return_stmt(self, indent, scope) -> None:
        if scope.python_returns:
            self.emit(indent, f"if {self.python_predicate(scope)}:")
            indent += 1
        self.emit(indent, f"return {self.return_value(scope)}")

    # -- functions -------------------------------------------------------------------
    def helper(self, name, helpers) -> None:
        scope = _Scope("arr", helpers, [])
        self.emit(0, f"def {name}(a, s):")
        self.emit(1, "b = np.tanh(a)")
        self.emit(1, "t = s * 0.5")
        self.emit(1, "x, y, k, c, m, n = a, b, 2, 0.5, 1, 1")
        self.emit(1, f"if {self.predicate(scope)}:")
        self.body(2, scope, 1)
        self.body(1, scope, 1)
        self.emit(1, f"return {self.return_value(scope)}")
        self.lines += ["", ""]

    def lambda_def(self, indent, name, scope) -> None:
        body = self.array(scope, 1, ("v",))
        if self.chance(0.5):  # a nested lambda, called at once
            inner = self.array(scope, 1, ("w", "v"))
            body = f"(lambda w: {inner})({body})"
        self.emit(indent, f"{name} = lambda v: {body}")

    def main(self, helpers) -> str:
        returns = self.rng.choice(RETURN_KINDS)
        python_returns = self.chance(0.1)
        lambdas = [f"g{i}" for i in range(self.rng.choice((0, 0, 1, 2)))]
        # From its own stream: programs without state constructs are as they always were.
        state = random.Random(f"state {self.seed}").random() < 0.4
        scope = _Scope(returns, helpers, [], python_returns, state)
        self.emit(0, "def f(x, y, k, c, n):")
        self.emit(1, "a = x * 0.5")
        self.emit(1, "b = np.tanh(y)")
        self.emit(1, "s = np.sum(x) * 0.5")
        self.emit(1, "t = np.max(y)")
        self.emit(1, "m = k + 1")
        if state:
            self.emit(1, "buf = np.zeros(3)")
            self.emit(1, "hs = [s * 0.0]")
        for name in lambdas:
            self.lambda_def(1, name, scope)
            scope.lambdas.append(name)
        self.block(1, scope, self.rng.randint(2, 5), 0)
        if python_returns:
            self.emit(1, f"if {self.python_predicate(scope)}:")
            self.emit(2, f"return {self.return_value(scope)}")
        else:
            self.emit(1, f"return {self.return_value(scope)}")
        return returns


def generate(seed: int) -> Program:
    """The program of `seed` (the same text for the same seed, on every machine)."""
    gen = _Generator(seed)
    gen.lines += ["import numpy as np", "", ""]
    helpers: list[str] = []
    for i in range(gen.rng.choice((0, 1, 1, 2))):
        gen.helper(f"h{i}", list(helpers))
        helpers.append(f"h{i}")
    returns = gen.main(helpers)
    k = gen.rng.randint(0, 3)
    signatures = [(k, gen.rng.choice((0.5, -0.5, 0.0))), ((k + 2) % 4, 0.25)]
    return Program(seed, "\n".join(gen.lines) + "\n", returns, signatures)
