"""How long converted code is, and how long converting takes.

1. Converts every function of the test corpus (`tests/corpus/*.py`) and prints, per
   module and in total, the non-blank lines of the original functions and of their
   converted code (`fn.code`), and the ratio (the design aims at <= 3x).
2. Converts synthetic functions of 100, 500, 1000 lines (assignments, if/else, for and
   while loops, `and` in a loop condition) and prints the CPU time per conversion and per
   line, and the time to print the converted code: the converter should take well under a
   second for 1000 lines and grow linearly.

Run:  python benchmarks/line_ratio.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))

from autotrace.convert import converter  # noqa: E402

CORPUS_MODULES = ("branches", "loops", "calls", "logic", "python_values")
SIZES = (100, 500, 1000)

# One block of synthetic code: 12 lines mixing the constructs the converter rewrites.
BLOCK = """\
    y = y * 1.5 + {k}
    if y.sum() > {k}:
        y = y - 1
        z = y * 2
    else:
        z = -y
    for i in range(2):
        y = y + z * i
    n = 0
    while n < 2 and y.max() < {k}:
        n += 1
        y = y + n
"""


def count_lines(text: str) -> int:
    """Non-blank lines."""
    return sum(1 for line in text.splitlines() if line.strip())


def corpus_ratio(show: bool = True) -> float:
    """Print original vs converted lines for every corpus function; returns the ratio."""
    total_src = total_gen = 0
    rows = []
    if show:
        print(f"{'module':<16}{'functions':>10}{'source':>10}{'converted':>11}{'ratio':>8}")
    for name in CORPUS_MODULES:
        module = importlib.import_module(f"corpus.{name}")
        src = gen = 0
        for case in module.CORPUS.cases:
            src += count_lines(_without_decorators(inspect.getsource(case.fn)))
            gen += count_lines(converter.converted_source(case.fn))
        total_src, total_gen = total_src + src, total_gen + gen
        rows.append((name, len(module.CORPUS.cases), src, gen))
    rows.append(("total", "", total_src, total_gen))
    for name, count, src, gen in rows if show else ():
        print(f"{name:<16}{count:>10}{src:>10}{gen:>11}{gen / src:>8.2f}")
    return total_gen / total_src


def _without_decorators(source: str) -> str:
    lines = source.splitlines()
    while lines and lines[0].lstrip().startswith("@"):
        lines.pop(0)
    return "\n".join(lines)


def synthetic_function(lines: int, directory: str):
    """A function of about `lines` lines, written to a file (the converter reads source)."""
    blocks = max(1, (lines - 3) // BLOCK.count("\n"))
    body = "".join(BLOCK.format(k=k) for k in range(blocks))
    source = f"def synthetic(x):\n    y = x\n{body}    return y\n"
    return load_function(source, directory, f"synthetic_{lines}", "synthetic"), \
        source.count("\n")


def load_function(source: str, directory: str, module_name: str, name: str):
    """Function `name` of `source`, written to a file first (the converter reads source)."""
    path = os.path.join(directory, f"{module_name}.py")
    with open(path, "w") as f:
        f.write(source)
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)


def conversion_times(repeat: int) -> None:
    """Print the best-of-`repeat` CPU time to convert synthetic functions of each size
    (source -> code object, the whole pipeline), and to print the result (`fn.code`, done
    only when asked for)."""
    print(f"\n{'lines':>6}{'convert ms':>12}{'us / line':>11}{'+ print ms':>12}")
    with tempfile.TemporaryDirectory() as directory:
        for size in SIZES:
            fn, n = synthetic_function(size, directory)
            convert = show = float("inf")
            for _ in range(repeat):
                start = time.process_time()
                converted = converter._convert_code(fn)  # uncached: the whole pipeline
                middle = time.process_time()
                assert converted.source
                convert = min(convert, middle - start)
                show = min(show, time.process_time() - middle)
            print(f"{n:>6}{convert * 1e3:>12.1f}{convert / n * 1e6:>11.1f}{show * 1e3:>12.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    corpus_ratio()
    conversion_times(args.repeat)


if __name__ == "__main__":
    main()
