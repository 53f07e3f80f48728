"""What a code object mentions: the names and string constants the capture scope walks
(`mentioned`), and the globals it assigns before reading them (`set_first`)."""

from __future__ import annotations

import dis
import types

_MENTIONED: dict = {}


def mentioned(code: types.CodeType) -> tuple[set, set]:
    """(names, string constants) of `code` and the code nested in it."""
    found = _MENTIONED.get(id(code))
    if found is not None and found[0] is code:
        return found[1], found[2]
    names, keys, stack = set(), set(), [code]
    while stack:
        c = stack.pop()
        names.update(c.co_names)
        for const in c.co_consts:
            if isinstance(const, types.CodeType):
                stack.append(const)
            elif type(const) is str and const.isidentifier():
                keys.add(const)
            elif type(const) is tuple:
                keys.update(k for k in const if type(k) is str and k.isidentifier())
    _MENTIONED[id(code)] = (code, names, keys)
    return names, keys


def set_first(code: types.CodeType) -> set:
    """Globals whose first use in `code` (in bytecode order) assigns them."""
    found = _SET_FIRST.get(id(code))
    if found is not None and found[0] is code:
        return found[1]
    seen, out = set(), set()
    if _STORE_GLOBAL not in code.co_code[::2]:  # opcodes (a long function: no `dis` walk)
        _SET_FIRST[id(code)] = (code, out)
        return out
    for ins in dis.get_instructions(code):
        if ins.opname in ("LOAD_GLOBAL", "STORE_GLOBAL", "DELETE_GLOBAL", "LOAD_NAME"):
            name = ins.argval
            if name not in seen:
                seen.add(name)
                if ins.opname == "STORE_GLOBAL":
                    out.add(name)
    _SET_FIRST[id(code)] = (code, out)
    return out


_SET_FIRST: dict = {}
_STORE_GLOBAL = dis.opmap["STORE_GLOBAL"]
