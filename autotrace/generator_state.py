"""The state of numpy generators a trace captures: read, compared and put back, and the
user's line that advanced one while tracing (`CaptureScope.check_draws`)."""

from __future__ import annotations

import sys

import numpy as np

from autotrace.errors import is_library_file, location_of_frame


def locate_draw(gen, state, rerun) -> str | None:
    """Run `rerun()` under a line tracer to find the user's line after which `gen` (put
    back to `state`) first advanced (only on the way to an error); then put it back."""
    last, found = [None], [None]

    def tracer(frame, event, arg):
        if found[0] is not None:
            return None
        if event == "line" and not is_library_file(frame.f_code.co_filename):
            if last[0] is not None and not same_state(rng_state(gen), state):
                found[0] = last[0]
                return None
            last[0] = location_of_frame(frame)
        return tracer

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        rerun()
    except BaseException:  # noqa: S110 - the first run's outcome stands; only the line
        pass
    finally:
        sys.settrace(previous)
    if found[0] is None and not same_state(rng_state(gen), state):
        found[0] = last[0]  # the last line drew
    set_rng_state(gen, state)
    return found[0]


def rng_state(gen):
    return gen.bit_generator.state if isinstance(gen, np.random.Generator) else \
        gen.get_state(legacy=False)


def set_rng_state(gen, state) -> None:
    if isinstance(gen, np.random.Generator):
        gen.bit_generator.state = state
    else:
        gen.set_state(state)


def same_state(a, b) -> bool:
    """Generator states (dicts of ints, strings and arrays) are equal."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_state(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray):
        return a.shape == b.shape and bool(np.array_equal(a, b))
    return a == b
