"""autotrace's random-program differential fuzzer (see README.md in this folder)."""
