"""Reverse-mode differentiation: the backprop engine, `GradientTape`, and the `grad` family
of transforms; forward mode (`jvp`) and batching (`vmap`). The rules of the control-flow
ops are with the ops, in `autotrace/control/`."""
