"""Reverse-mode differentiation: the backprop engine, `GradientTape`, VJPs of control
flow, and the `grad` family of transforms."""
