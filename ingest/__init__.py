"""Readers of every trigger source and the atomic catalog build; writes through kb.schema."""

from __future__ import annotations
