"""A corpus of plain Python + numpy functions for the converter, by topic.

Each module registers its functions with `@case(inputs, ...)`: a list of argument tuples
of ONE signature (same shapes, dtypes and Python values) that take DIFFERENT paths through
the function. `check.assert_same_as_python` runs the traced function on all of them and
compares with the function itself, the oracle.
"""
