"""Runnable samples (`python samples/NAME.py`); importable as `autotrace_samples`."""
