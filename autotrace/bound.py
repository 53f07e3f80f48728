"""A `TracedFunction` bound to an instance: what `obj.method` gives for a traced method."""

from __future__ import annotations

from typing import TYPE_CHECKING

from autotrace import config
from autotrace.concrete import _BoundConcreteFunction
from autotrace.signature import fast_key

if TYPE_CHECKING:
    from autotrace.function import TracedFunction


class _BoundTracedFunction:
    """A `TracedFunction` bound to an instance (methods); shares the function's cache.

    Made on each attribute access, like Python's bound methods, so it never keeps the
    instance alive after the user drops it.
    """

    __slots__ = ("__func__", "__self__")

    def __init__(self, traced: TracedFunction, instance):
        self.__func__ = traced
        self.__self__ = instance

    def __call__(self, *args, **kwargs):
        traced = self.__func__
        args = (self.__self__,) + args
        if config.EAGER:
            return traced._call_eagerly(args, kwargs, skip=1)
        if not kwargs:
            run = traced._fast.get(fast_key(args))
            if run is not None:
                traced._calls = run.stamp.last_call = traced._calls + 1
                return run(*args)
        return traced._call_slow(args, kwargs, skip=1)

    def get_concrete_function(self, *args, **kwargs) -> _BoundConcreteFunction:
        """The concrete function for these arguments (without `self`)."""
        cf = self.__func__._concrete((self.__self__,) + args, kwargs, skip=1)
        return _BoundConcreteFunction(cf, self.__self__)

    def to_dot(self, *args, **options) -> str:
        return self.__func__.to_dot(self.__self__, *args, **options)

    def render(self, path, *args, **options):
        return self.__func__.render(path, self.__self__, *args, **options)

    def __getattr__(self, name):
        return getattr(self.__func__, name)

    def __repr__(self) -> str:
        return f"<bound autotrace.TracedFunction {self.__func__.__qualname__} of " \
               f"{self.__self__!r}>"
