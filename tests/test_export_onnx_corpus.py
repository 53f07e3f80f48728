"""The control-flow corpus (tests/corpus/*) through ONNX: every case either exports and
gives in onnxruntime what the Python function gives on each of its inputs, or is refused
with an `UnsupportedError` naming what has no ONNX form. A refusal is fine; a different
value is a bug."""

import copy

import numpy as np
import pytest
from corpus import branches, calls, logic, loops, python_values

import autotrace as at
from autotrace.signature import flatten

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

CASES = [c for m in (branches, calls, logic, loops, python_values) for c in m.CORPUS.cases]
_SCALARS = (bool, int, float)


def export_case(case):
    """(traced, concrete function, session) or the refusal."""
    traced = at.trace(case.fn)
    cf = traced.get_concrete_function(*case.inputs[0])
    model = at.export_onnx(cf)
    onnx.checker.check_model(model, full_check=True)
    return traced, cf, ort.InferenceSession(model.SerializeToString(),
                                            providers=["CPUExecutionProvider"])


def outcome(case) -> str:
    """"exported", or "refused: <message>"; asserts equal values on every input."""
    try:
        traced, cf, sess = export_case(case)
    except at.UnsupportedError as e:
        assert "to ONNX" in str(e)
        return f"refused: {e}"
    checked = 0
    for args in case.inputs:
        try:
            expected = case.fn(*copy.deepcopy(args))
        except Exception:
            continue  # the model cannot raise: such paths are only compared when exported
        leaves, _ = traced._canonical(args, {})
        feed = {i.name: np.asarray(x) for i, x in zip(sess.get_inputs(), cf.graph_inputs(leaves))}
        got = sess.run(None, feed)
        want, _ = flatten(expected)
        assert len(got) == len(want), f"{case.id}{args}: {len(got)} outputs, {len(want)} leaves"
        for g, w in zip(got, want):
            _assert_leaf(g, w, case, f"{case.id}{args}")
        checked += 1
    return "exported"


def _assert_leaf(got, want, case, where):
    arr = np.asarray(want)
    if not (isinstance(want, _SCALARS) and case.merged_scalars):
        assert got.dtype == arr.dtype, f"{where}: dtype {got.dtype} != {arr.dtype}"
    assert got.shape == arr.shape, f"{where}: shape {got.shape} != {arr.shape}"
    if arr.dtype.kind in "fc":
        rtol = max(case.rtol, 1e-5 if got.dtype == np.float32 else 1e-10)
        np.testing.assert_allclose(got, arr, rtol=rtol, atol=1e-12, equal_nan=True,
                                   err_msg=where)
    else:
        np.testing.assert_array_equal(got, arr, err_msg=where)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_corpus_case_exports_or_is_refused(case):
    outcome(case)


def summary() -> dict:
    """Counts over the corpus (`python tests/test_export_onnx_corpus.py` prints them)."""
    counts: dict = {}
    for case in CASES:
        try:
            kind = outcome(case).split(":")[0]
        except Exception as e:  # a mismatch or an onnxruntime failure
            kind = f"FAILED {type(e).__name__}"
            print(case.id, str(e)[:300])
        counts[kind] = counts.get(kind, 0) + 1
    return counts


if __name__ == "__main__":
    print(summary())
