"""A projectile with air drag, simulated by a `while` loop until it lands, and the launch
angle optimized by gradient ascent through that loop.

The number of simulation steps depends on the angle (a higher shot flies longer), so the
loop's trip count is data. `at.value_and_grad(flight_range)` differentiates through the
graph `while_loop` anyway: it replays the steps of the flight in reverse. (JAX's `grad`
cannot reverse-differentiate a `while_loop`; you would have to fix the number of steps.)
A fine grid search checks the answer.

Run it: `python samples/projectile.py`
"""

from __future__ import annotations

import numpy as np

import autotrace as at

GRAVITY = 9.81


def flight_range(angle, speed=40.0, drag=0.02, dt=0.005):
    """Horizontal distance at landing for a launch at `angle` (radians)."""
    vx, vy = speed * np.cos(angle), speed * np.sin(angle)
    x, y = np.zeros_like(angle), np.zeros_like(angle)
    last_x, last_y = x, y
    while y >= 0.0:
        last_x, last_y = x, y
        v = np.sqrt(vx * vx + vy * vy)
        x, y = x + vx * dt, y + vy * dt
        vx, vy = vx - drag * v * vx * dt, vy - (GRAVITY + drag * v * vy) * dt
    # Interpolate where the path crossed y = 0 between the last two positions.
    return last_x + (x - last_x) * last_y / (last_y - y)


def main(steps: int = 40, echo=print) -> dict:
    value_and_slope = at.value_and_grad(flight_range)
    angle = np.array(np.radians(20.0))
    for i in range(steps):
        distance, slope = value_and_slope(angle)
        if i % 8 == 0 or i == steps - 1:
            echo(f"step {i:3d}  angle {np.degrees(angle):6.2f} deg  range {distance:8.3f} m  "
                 f"d range / d angle {slope:9.4f} m/rad")
        angle = angle + 0.002 * slope
    grid = np.radians(np.linspace(20.0, 50.0, 601))
    ranges = np.array([flight_range(g) for g in grid])
    best = float(np.degrees(grid[ranges.argmax()]))
    echo(f"\ngradient ascent: {np.degrees(angle):.2f} deg; grid search: {best:.2f} deg "
         f"(drag makes it less than 45); traced {value_and_slope.trace_count} time(s)")
    return {"angle": float(np.degrees(angle)), "grid_best": best}


if __name__ == "__main__":
    main()
