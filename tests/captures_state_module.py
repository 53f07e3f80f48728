"""State read by tests/test_state_captures.py from another module: a global array, a
global Python value, and a function reading them."""

import numpy as np

W = np.eye(2)
SCALE = 2.0


def project(x):
    return x @ W * SCALE
