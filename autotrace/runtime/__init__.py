"""What generated code calls, as `at__.<name>`: operators, control flow, calls.

Every entry keeps plain Python semantics when no tensor is involved and builds graph
nodes when one is.
"""

from autotrace.runtime.operators import *  # noqa: F401,F403
from autotrace.runtime.undefined import Undefined  # noqa: F401
