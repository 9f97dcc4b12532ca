"""Thin gateway clients: plain values in, frozen dataclasses out, smscli errors raised.

Nothing in this package imports typer or rich, or prints."""
