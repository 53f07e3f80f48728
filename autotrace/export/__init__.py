"""Exporting traced graphs to other formats (`export_onnx`: docs/export.md)."""

from autotrace.export.onnx import export_onnx

__all__ = ["export_onnx"]
