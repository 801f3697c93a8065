"""Errors users see. Each message is a complete sentence naming the file or position at fault."""

from __future__ import annotations


class AidxlError(Exception):
    """Base of every error the CLI reports without a traceback (exit code 2)."""


class CatalogError(AidxlError):
    """The catalog is missing, unreadable or built by another schema version."""
