"""Rows for peer libraries in `run.py`: JAX (jit), autograd and torch, each only when it
is importable (none is required). Each peer writes W1, W2 and W4 in its own array module;
its arguments are converted once, outside the timed calls."""

from __future__ import annotations

import importlib.util

import numpy as np

PEERS = ("jax", "autograd", "torch")


def available() -> list[str]:
    """The peers installed here."""
    return [name for name in PEERS if importlib.util.find_spec(name) is not None]


def _seed(xp):
    return lambda a, b: (a + b) * (b + 1)


def _seed_loss(xp):
    return lambda a, b: xp.sum((a + b) * (b + 1))


def _mlp(xp):
    return lambda w1, b1, w2, b2, x: xp.mean((xp.tanh(x @ w1 + b1) @ w2 + b2) ** 2)


def _w4(xp):
    return lambda x: xp.sum(xp.tanh(x) * x + xp.exp(-x * x))


# workload -> (forward, scalar loss for the gradient, argnums differentiated)
WORKLOADS = {"W1": (_seed, _seed_loss, (0, 1)), "W2": (_mlp, _mlp, (0, 1, 2, 3)),
             "W4": (_w4, _w4, (0,))}


def contenders(workload: str, gradient: bool, args: tuple) -> dict:
    """peer name -> zero-argument callable running `workload` (or its gradient) on `args`."""
    if workload not in WORKLOADS:
        return {}
    forward, loss, argnums = WORKLOADS[workload]
    out = {}
    for name in available():
        make = {"jax": _jax, "autograd": _autograd, "torch": _torch}[name]
        out[f"{name}"] = make(loss if gradient else forward, gradient, argnums, args)
    return out


def _jax(build, gradient, argnums, args):
    import jax
    import jax.numpy as jnp

    fn = build(jnp)
    fn = jax.jit(jax.grad(fn, argnums=argnums) if gradient else fn)
    jargs = [jnp.asarray(a) for a in args]
    return lambda: jax.block_until_ready(fn(*jargs))


def _autograd(build, gradient, argnums, args):
    import autograd
    import autograd.numpy as anp

    fn = build(anp)
    if gradient:
        fn = autograd.grad(fn, argnum=argnums if len(argnums) > 1 else argnums[0])
    return lambda: fn(*args)


def _torch(build, gradient, argnums, args):
    import torch

    fn = build(torch)
    targs = [torch.from_numpy(np.ascontiguousarray(a)) for a in args]
    if not gradient:
        def run():
            with torch.no_grad():
                return fn(*targs)
        return run
    wrt = [targs[i].requires_grad_(True) for i in argnums]
    return lambda: torch.autograd.grad(fn(*targs), wrt)
