"""What generated code calls, as `at__.<name>`: operators, control flow, logic, calls.

Every entry keeps plain Python semantics when no tensor is involved and builds graph
nodes when one is.
"""

from autotrace.runtime.calls import assert_, call, print  # noqa: F401
from autotrace.runtime.control_flow import (  # noqa: F401
    for_stmt, if_exp, if_return, if_stmt, return_value, while_stmt,
)
from autotrace.runtime.formatting import (  # noqa: F401
    format_call, fstring, log_call, percent, str_format,
)
from autotrace.runtime.inplace import (  # noqa: F401
    augmented_into, live, live_items, live_iter, outer_array, setitem, setitem_aug,
    setitem_aug_into, setitem_into,
)
from autotrace.runtime.inplace import captured_isinstance as isinstance  # noqa: F401,A004
from autotrace.runtime.guards import (  # noqa: F401
    match_subject, set_attribute, set_attributes, set_global,
)
from autotrace.runtime.iterables import enumerate, len, range, zip  # noqa: F401
from autotrace.runtime.logical import and_, bool, not_, or_  # noqa: F401
from autotrace.runtime.raising import raise_  # noqa: F401
from autotrace.runtime.graph_try import bound, reraise, try_save, try_stmt  # noqa: F401
from autotrace.runtime.errstate import errstate_stmt  # noqa: F401
from autotrace.runtime.operators import *  # noqa: F401,F403
from autotrace.runtime.formatting import mod  # noqa: F401,E402 - `fmt % x` of strings
from autotrace.runtime.operators import bitand, bitor, bitxor  # noqa: F401
from autotrace.runtime.subscripts import getitem  # noqa: F401
from autotrace.runtime.undefined import Undefined  # noqa: F401
from autotrace.runtime.inplace import AUGMENTED as _AUGMENTED  # noqa: E402

globals().update(_AUGMENTED)  # `x op= y` on a numpy `x` given a traced `y`
