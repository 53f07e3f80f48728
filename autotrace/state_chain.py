"""The concrete functions of one signature for different captured state (captures.py).

The cache holds one concrete function per signature, the *head*; a head that reads
captured state keeps `_members`, one per state traced (itself first). A call finds the
member whose checks pass, or traces one more (`MAX_STATES` at most: the oldest after the
head is dropped), with the change named in the retracing warning and the trace log.
`TracedFunction` mixes this in.
"""

from __future__ import annotations

import time

from autotrace.concrete import ConcreteFunction
from autotrace.retracing import log_trace, state_cause
from autotrace.signature import TensorSpec, fast_key, leaf_key
from autotrace.tracing import trace_concrete

MAX_STATES = 32  # concrete functions per signature for different captured state


class StateChains:
    """`TracedFunction`'s handling of captured state (see the module docstring)."""

    def _current(self, head: ConcreteFunction, leaves, missed=None) -> ConcreteFunction:
        """The concrete function of `head`'s signature traced for the captured state now
        (tracing one if none is); `missed`: the one whose compiled checks failed (its
        hit-path entry is pointed at the one found)."""
        found = self._matching(head, leaves)
        if found is None:
            with self._lock:
                found = self._matching(head, leaves)
                if found is None:
                    found = self._trace_state(head, leaves)
        if missed is not None and missed is not found:
            key = fast_key(tuple(leaves))
            with self._lock:
                if key is not None and self._fast.get(key) is missed._call:
                    self._fast[key] = found._call
        return found

    @staticmethod
    def _matching(head, leaves):
        for member in list(head._members):
            if member.state_mismatch(leaves) is None:
                return member
        return None

    def _trace_state(self, head: ConcreteFunction, leaves) -> ConcreteFunction:
        """Trace `head`'s signature again for new captured state (lock held)."""
        why = head._members[-1].state_mismatch(leaves)
        specs = [t if isinstance(t, TensorSpec) else x for t, x in zip(head._template, leaves)]
        key = (head._tree, tuple(leaf_key(x) for x in specs))
        cause = state_cause(why) if why else None
        self._note_retrace(key, cause)
        start = time.perf_counter()
        cf = trace_concrete(self, specs, head._tree)
        self.trace_count += 1
        log_trace(self, time.perf_counter() - start)
        cf._head = head
        head._members.append(cf)
        if len(head._members) > MAX_STATES:
            self._drop_member(head, head._members[1])
        return cf

    def _drop_member(self, head, member) -> None:
        head._members.remove(member)
        for k, run in self._fast.copy().items():
            if run is member._call:
                self._fast[k] = head._call
