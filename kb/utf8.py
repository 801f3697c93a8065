"""Strict UTF-8 decoding that says where the first bad byte is, for every reader of user text."""

from __future__ import annotations

from kb.errors import NotUtf8Error


def decode_utf8(data: bytes, where: str) -> str:
    """`data` decoded strictly; NotUtf8Error names `where` and the first bad byte's offset and value:
    "stdin: not UTF-8 at byte 17 (0xc6)"."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise NotUtf8Error(f"{where}: not UTF-8 at byte {error.start} (0x{data[error.start]:02x})") from None
