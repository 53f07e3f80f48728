"""Converter passes, one concern per module; `converter.PIPELINE` fixes their order."""
