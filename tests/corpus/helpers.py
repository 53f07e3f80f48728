"""Helpers in a module of their own, called from corpus functions (converted on call)."""

import numpy as np


def soft_sign(x):
    if x.sum() > 0:
        return x / (1 + np.abs(x))
    return -x


def count_above(x, threshold):
    n = 0
    for v in x:
        if v > threshold:
            n += 1
    return n


def make_adder(k):
    def add(v):
        return v + k if v.sum() > 0 else v - k

    return add


def weighted_sum(*values, weights=()):
    total = values[0] * 0
    for v, w in zip(values, weights):
        total = total + v * w
    return total


def split_sign(x):
    lo = x * 0
    hi = x * 0
    for i in range(len(x)):
        if x[i] < 0:
            lo = lo + x[i]
        else:
            hi = hi + x[i]
    return lo, hi
