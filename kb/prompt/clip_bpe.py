"""The CLIP BPE tokenizer, offline and without torch: the same ids as the web UI's CLIP tokenizers.

The vocabulary is OpenAI's `bpe_simple_vocab_16e6.txt` (MIT): its merge rules come from the first
provider present (`kb.prompt.clip_vocab`: `AIDXL_CLIP_VOCAB`, the `instant-clip-tokenizer` package, the
`open-clip-torch` package, or the Hub's `openai/clip-vit-large-patch14` `merges.txt`), checked
against a pinned digest. No provider is ever imported.

Text is cleaned as the tokenizer being modelled cleans it (`TextCleaning`), then the CLIP
pre-tokenizer splits it into `'s 't 're 've 'm 'll 'd`, runs of letters, single digits and runs of
other symbols, and byte-level BPE turns each piece into vocabulary ids:

- `CLIP_L` (the default; what the web UI counts and SDXL's first encoder reads): transformers'
  Python `CLIPTokenizer` with ftfy, as the web UI runs it: `<|startoftext|>` / `<|endoftext|>` written
  exactly are cut out first; the rest gets `ftfy.fix_text` (curly quotes, full-width forms, ligatures,
  control characters, `&amp;` when the text holds no `<`), each whitespace run becomes one space, and
  the text is lower-cased as one string (a final `Σ` becomes `ς`). A special token that only appears
  after lower-casing (`<|ENDOFTEXT|>`) is read as the special token too.
- `OPEN_CLIP` (SDXL's second encoder, OpenCLIP bigG, `open_clip.SimpleTokenizer`): `ftfy.fix_text`,
  then HTML unescaping twice (`&lt;` is `<` even next to a `<`), whitespace runs to one space, lower
  case. Its special tokens are `<start_of_text>` / `<end_of_text>`; `<|endoftext|>` is plain text.
- `TOKENIZERS`: transformers' tokenizers-backed `CLIPTokenizer` (transformers 5, and so diffusers):
  no ftfy and no unescaping: Unicode NFC, whitespace runs to one space, lower case per character.

The two web UI encoders differ only on text ftfy leaves with HTML entities (`&lt;3 <x`) and on the
special-token spellings; the web UI's `N/75` counts with CLIP-L's tokenizer.
"""

from __future__ import annotations

import enum
import html
import itertools
import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import NamedTuple

from kb.prompt.clip_vocab import (
    MERGE_COUNT,
    find_vocabulary_source,
    installed_merge_lines,
    load_merge_lines,
)

START_OF_TEXT = "<|startoftext|>"
END_OF_TEXT = "<|endoftext|>"
START_OF_TEXT_ID = 49406
END_OF_TEXT_ID = 49407
END_OF_WORD = "</w>"

# Unicode White_Space, the `\s` of the reference pre-tokenizer (Python's `\s` adds \x1c-\x1f).
_WHITESPACE_CLASS = "\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_WHITESPACE_RUN = re.compile(f"[{_WHITESPACE_CLASS}]+")
_CONTRACTIONS = ("'s", "'t", "'re", "'ve", "'m", "'ll", "'d")
_SPECIAL_TOKENS = (START_OF_TEXT, END_OF_TEXT)
_OPEN_CLIP_SPECIAL_TOKENS = ("<start_of_text>", "<end_of_text>")  # open_clip's names for the same ids
_SPECIAL_TOKEN_PATTERN = re.compile(r"<\|startoftext\|>|<\|endoftext\|>")
# For ASCII text the CLIP pattern's \p{L} and \p{N} are exactly [a-zA-Z] and [0-9].
_ASCII_PRE_TOKEN = re.compile(
    r"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[a-zA-Z]+|[0-9]|[^\t-\r a-zA-Z0-9]+"
)
_ASCII_PRE_TOKEN_OPEN_CLIP = re.compile(
    r"<start_of_text>|<end_of_text>|'s|'t|'re|'ve|'m|'ll|'d|[a-zA-Z]+|[0-9]|[^\t-\r a-zA-Z0-9]+"
)


class TextCleaning(enum.Enum):
    """Which tokenizer's text cleaning and special tokens to reproduce (see the module doc)."""

    CLIP_L = "clip-l"
    OPEN_CLIP = "open-clip"
    TOKENIZERS = "tokenizers"


class TokenSpan(NamedTuple):
    """One vocabulary id and the [start, end) of the input text it was read from."""

    token_id: int
    start: int
    end: int


@dataclass(frozen=True)
class ClipVocabulary:
    """The BPE merge rules as written in the file (`"first second"`), in rank order.

    Every vocabulary string is distinct, so the id of a merged piece is 512 + the rank of the
    merge that made it: encoding needs only the ranks; the full string → id table is built on
    demand (`token_ids`).
    """

    merge_lines: tuple[str, ...]
    merge_ranks: dict[str, int]  # "first second" -> rank

    @cached_property
    def merges(self) -> tuple[tuple[str, str], ...]:
        return tuple((line.split(" ")[0], line.split(" ")[1]) for line in self.merge_lines)

    @cached_property
    def token_ids(self) -> dict[str, int]:
        byte_characters = list(byte_to_unicode().values())
        entries = byte_characters + [character + END_OF_WORD for character in byte_characters]
        entries.extend(line.replace(" ", "") for line in self.merge_lines)
        entries.extend(_SPECIAL_TOKENS)
        return dict(zip(entries, range(len(entries)), strict=True))


def find_bpe_vocab_path() -> Path:
    """The file the first present provider reads the vocabulary from (see `kb.prompt.clip_vocab`)."""
    return find_vocabulary_source().path


@lru_cache(maxsize=1)
def byte_to_unicode() -> dict[int, str]:
    """CLIP's reversible map of the 256 byte values to printable characters."""
    printable = [
        *range(ord("!"), ord("~") + 1),
        *range(ord("¡"), ord("¬") + 1),
        *range(ord("®"), ord("ÿ") + 1),
    ]
    characters = printable[:]
    shift = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            characters.append(256 + shift)
            shift += 1
    return {byte: chr(code) for byte, code in zip(printable, characters, strict=True)}


@lru_cache(maxsize=4)
def load_vocabulary(bpe_path: Path | None = None) -> ClipVocabulary:
    """The vocabulary of `bpe_path`, or (found once per process) of the first provider present."""
    merge_lines = installed_merge_lines() if bpe_path is None else load_merge_lines(bpe_path)
    return ClipVocabulary(merge_lines, dict(zip(merge_lines, range(len(merge_lines)), strict=True)))


def _lower_per_character(text: str) -> str:
    # Python lowers a final capital sigma to ς; the reference lowers each character on its own.
    return text.replace("Σ", "σ").lower()


def normalize_with_offsets(text: str) -> tuple[str, list[int]]:
    """The reference normalisation, and for each normalised character its index in `text`."""
    composed = unicodedata.normalize("NFC", text)
    if composed == text:
        origin = list(range(len(text)))
    else:
        # Rare (decomposed accents): positions are scaled; the ids stay exact.
        scale = len(text) / max(len(composed), 1)
        origin = [min(int(index * scale), len(text) - 1) for index in range(len(composed))]
    normalized: list[str] = []
    normalized_origin: list[int] = []
    position = 0
    for run in _WHITESPACE_RUN.finditer(composed):
        _append_lowered(composed, origin, position, run.start(), normalized, normalized_origin)
        normalized.append(" ")
        normalized_origin.append(origin[run.start()])
        position = run.end()
    _append_lowered(composed, origin, position, len(composed), normalized, normalized_origin)
    return "".join(normalized), normalized_origin


def _append_lowered(
    text: str, origin: list[int], start: int, end: int, out: list[str], out_origin: list[int]
) -> None:
    piece = text[start:end]
    lowered = _lower_per_character(piece)
    if len(lowered) == len(piece):
        out.append(lowered)
        out_origin.extend(origin[start:end])
        return
    for index in range(start, end):
        for character in _lower_per_character(text[index]):
            out.append(character)
            out_origin.append(origin[index])


def _character_class(character: str) -> str:
    """L (letter), N (number), S (whitespace) or P (anything else), as the CLIP pattern sees it."""
    if character == " " or _WHITESPACE_RUN.fullmatch(character):
        return "S"
    major = unicodedata.category(character)[0]
    return major if major in "LN" else "P"


def pre_tokenize(
    normalized: str, *, special_tokens: tuple[str, ...] = _SPECIAL_TOKENS
) -> list[tuple[int, int]]:
    """Spans of the CLIP pre-tokens of normalised text (the reference regex, exactly)."""
    if normalized.isascii():
        pattern = _ASCII_PRE_TOKEN if special_tokens == _SPECIAL_TOKENS else _ASCII_PRE_TOKEN_OPEN_CLIP
        return [match.span() for match in pattern.finditer(normalized)]
    spans: list[tuple[int, int]] = []
    position = 0
    length = len(normalized)
    while position < length:
        special = next((token for token in special_tokens if normalized.startswith(token, position)), None)
        if special is not None:
            spans.append((position, position + len(special)))
            position += len(special)
            continue
        contraction = next((c for c in _CONTRACTIONS if normalized.startswith(c, position)), None)
        if contraction is not None:
            spans.append((position, position + len(contraction)))
            position += len(contraction)
            continue
        kind = _character_class(normalized[position])
        if kind == "S":
            position += 1
            continue
        end = position + 1
        if kind != "N":  # a number is one digit per pre-token; letters and symbols run on
            while end < length and _character_class(normalized[end]) == kind:
                end += 1
        spans.append((position, end))
        position = end
    return spans


@lru_cache(maxsize=1)
def _ftfy_fix_text() -> Callable[[str], str]:
    import ftfy  # imported on first use: most prompts are ASCII and never need it

    fix_text: Callable[[str], str] = ftfy.fix_text
    return fix_text


def _may_need_ftfy(text: str) -> bool:
    """False when `ftfy.fix_text` certainly leaves `text` alone: printable ASCII without `&`
    (entities) or escape sequences. Tabs and line breaks are kept by ftfy."""
    return not (text.isascii() and "&" not in text and (text.isprintable() or _only_blank_controls(text)))


def _only_blank_controls(text: str) -> bool:
    return all(character.isprintable() or character in "\t\n" for character in text)


def clean_text(text: str, cleaning: TextCleaning = TextCleaning.CLIP_L) -> str:
    """`text` as the chosen tokenizer cleans it before its pre-tokenizer (see the module doc)."""
    return clean_with_offsets(text, cleaning)[0]


def clean_with_offsets(text: str, cleaning: TextCleaning) -> tuple[str, list[int]]:
    """The web UI tokenizers' cleaning of `text`, and for each cleaned character its index in `text`.

    Where ftfy or unescaping change the text, positions are scaled (ids stay exact)."""
    if cleaning is TextCleaning.TOKENIZERS:
        return normalize_with_offsets(text)
    fixed = _ftfy_fix_text()(text) if _may_need_ftfy(text) else text
    if cleaning is TextCleaning.OPEN_CLIP:
        fixed = html.unescape(html.unescape(fixed))
    origin = list(range(len(text))) if fixed == text else _scaled_origin(len(fixed), len(text))
    collapsed: list[str] = []
    collapsed_origin: list[int] = []
    position = 0
    for run in _WHITESPACE_RUN.finditer(fixed):
        collapsed.append(fixed[position : run.start()])
        collapsed_origin.extend(origin[position : run.start()])
        collapsed.append(" ")
        collapsed_origin.append(origin[run.start()])
        position = run.end()
    collapsed.append(fixed[position:])
    collapsed_origin.extend(origin[position:])
    joined = "".join(collapsed)
    lowered = joined.lower()  # one string, as Python's tokenizers do: a final Σ becomes ς
    if len(lowered) != len(joined):
        collapsed_origin = [collapsed_origin[index] for index in _scaled_origin(len(lowered), len(joined))]
    return lowered, collapsed_origin


def _scaled_origin(new_length: int, old_length: int) -> list[int]:
    scale = old_length / max(new_length, 1)
    return [min(int(index * scale), max(old_length - 1, 0)) for index in range(new_length)]


class ClipTokenizer:
    """Text → CLIP vocabulary ids (no start/end ids added), with the source span of each id."""

    def __init__(self, vocabulary: ClipVocabulary, *, cleaning: TextCleaning = TextCleaning.CLIP_L) -> None:
        self.vocabulary = vocabulary
        self.cleaning = cleaning
        self._byte_characters = byte_to_unicode()
        # Ids of the single byte characters, alone (0-255) and ending a word (256-511).
        self._character_ids = {
            character: index for index, character in enumerate(self._byte_characters.values())
        }
        self._bpe_cache: dict[str, tuple[tuple[str, int], ...]] = {}
        self.comma_id = self._character_ids[","] + 256
        self._entries: list[str] | None = None

    def encode(self, text: str) -> list[int]:
        return [span.token_id for span in self.encode_with_spans(text)]

    def encode_with_spans(self, text: str) -> list[TokenSpan]:
        # Literal special tokens are cut out of the raw text first (case-sensitive), as transformers
        # does with its added tokens; everything between is cleaned and BPE-encoded.
        result: list[TokenSpan] = []
        position = 0
        if self.cleaning is TextCleaning.OPEN_CLIP:  # open_clip has no added tokens
            self._encode_part(text, 0, len(text), result)
            return result
        for special in _SPECIAL_TOKEN_PATTERN.finditer(text):
            self._encode_part(text, position, special.start(), result)
            special_id = START_OF_TEXT_ID if special.group() == START_OF_TEXT else END_OF_TEXT_ID
            result.append(TokenSpan(special_id, special.start(), special.end()))
            position = special.end()
        self._encode_part(text, position, len(text), result)
        return result

    def _encode_part(self, text: str, start: int, end: int, result: list[TokenSpan]) -> None:
        if start >= end:
            return
        if self.cleaning is TextCleaning.TOKENIZERS:
            normalized, origin = normalize_with_offsets(text[start:end])
        else:
            normalized, origin = clean_with_offsets(text[start:end], self.cleaning)
        open_clip = self.cleaning is TextCleaning.OPEN_CLIP
        special_tokens = _OPEN_CLIP_SPECIAL_TOKENS if open_clip else _SPECIAL_TOKENS
        spans = pre_tokenize(normalized, special_tokens=special_tokens)
        if self.cleaning is TextCleaning.TOKENIZERS:
            spans = _split_special_words(normalized, spans)
        for word_start, word_end in spans:
            word = normalized[word_start:word_end]
            if word in special_tokens:  # the Python tokenizers' BPE cache maps these to their ids
                special_id = START_OF_TEXT_ID if word == special_tokens[0] else END_OF_TEXT_ID
                first, last = origin[word_start], origin[word_end - 1]
                result.append(TokenSpan(special_id, start + first, start + last + 1))
                continue
            encoded = word.encode("utf-8")
            pieces = self.bpe("".join(self._byte_characters[byte] for byte in encoded))
            # Each piece covers whole bytes; map byte offsets back to characters of `word`.
            character_at_byte = _character_index_of_bytes(word)
            byte_position = 0
            for piece, piece_id in pieces:
                piece_bytes = len(piece) - (len(END_OF_WORD) if piece.endswith(END_OF_WORD) else 0)
                first = word_start + character_at_byte[byte_position]
                last = word_start + character_at_byte[byte_position + piece_bytes - 1]
                result.append(TokenSpan(piece_id, start + origin[first], start + origin[last] + 1))
                byte_position += piece_bytes

    def bpe(self, word: str) -> tuple[tuple[str, int], ...]:
        """Byte-level BPE of one pre-token (already mapped to byte characters): (piece, id) pairs."""
        cached = self._bpe_cache.get(word)
        if cached is not None:
            return cached
        character_ids = self._character_ids
        symbols = [*word[:-1], word[-1] + END_OF_WORD]
        ids = [character_ids[character] for character in word[:-1]] + [character_ids[word[-1]] + 256]
        ranks = self.vocabulary.merge_ranks
        while len(symbols) > 1:
            best_rank = MERGE_COUNT
            for first, second in itertools.pairwise(symbols):
                rank = ranks.get(f"{first} {second}", MERGE_COUNT)
                if rank < best_rank:
                    best_rank, best_first, best_second = rank, first, second
            if best_rank == MERGE_COUNT:
                break
            merged_symbols: list[str] = []
            merged_ids: list[int] = []
            index = 0
            last = len(symbols) - 1
            while index <= last:
                if index < last and symbols[index] == best_first and symbols[index + 1] == best_second:
                    merged_symbols.append(best_first + best_second)
                    merged_ids.append(512 + best_rank)
                    index += 2
                else:
                    merged_symbols.append(symbols[index])
                    merged_ids.append(ids[index])
                    index += 1
            symbols, ids = merged_symbols, merged_ids
        result = tuple(zip(symbols, ids, strict=True))
        self._bpe_cache[word] = result
        return result

    def token_text(self, token_id: int) -> str:
        """The readable text of one id (`cat</w>` → `cat `)."""
        if self._entries is None:
            self._entries = [""] * len(self.vocabulary.token_ids)
            for entry_text, entry_id in self.vocabulary.token_ids.items():
                self._entries[entry_id] = entry_text
        entry = self._entries[token_id]
        if entry in _SPECIAL_TOKENS:
            return entry
        decoder = {character: byte for byte, character in self._byte_characters.items()}
        ending = entry.endswith(END_OF_WORD)
        body = entry[: -len(END_OF_WORD)] if ending else entry
        text = bytes(decoder[character] for character in body).decode("utf-8", errors="replace")
        return text + " " if ending else text


def _split_special_words(normalized: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """`<|endoftext|>` written in another case survives as one pre-token; the reference's byte-level
    step (GPT-2's pattern) then splits it into `<|`, `endoftext`, `|>`, BPE-encoded as plain text."""
    result: list[tuple[int, int]] = []
    for start, end in spans:
        if normalized[start:end] in _SPECIAL_TOKENS:
            result.extend(((start, start + 2), (start + 2, end - 2), (end - 2, end)))
        else:
            result.append((start, end))
    return result


def _character_index_of_bytes(word: str) -> list[int]:
    if word.isascii():
        return list(range(len(word)))
    indexes: list[int] = []
    for character_index, character in enumerate(word):
        indexes.extend([character_index] * len(character.encode("utf-8")))
    return indexes


@lru_cache(maxsize=3)
def get_tokenizer(cleaning: TextCleaning = TextCleaning.CLIP_L) -> ClipTokenizer:
    """The process-wide tokenizer over the installed vocabulary (CLIP-L's cleaning by default)."""
    return ClipTokenizer(load_vocabulary(), cleaning=cleaning)


def count_tokens(text: str) -> int:
    """CLIP tokens of `text`, without the start and end tokens."""
    return len(get_tokenizer().encode(text))


def write_hf_tokenizer_files(target_dir: Path, bpe_path: Path | None = None) -> Path:
    """Write `vocab.json` and `merges.txt` for `transformers.CLIPTokenizer` into `target_dir`.

    Both are derived from the same BPE file, so a tokenizer loaded from them gives our ids.
    Returns `target_dir`.
    """
    vocabulary = load_vocabulary(bpe_path)
    target_dir.mkdir(parents=True, exist_ok=True)
    (target_dir / "vocab.json").write_text(
        json.dumps(vocabulary.token_ids, ensure_ascii=False), encoding="utf-8"
    )
    merge_lines = ["#version: 0.2", *vocabulary.merge_lines]
    (target_dir / "merges.txt").write_text("\n".join(merge_lines) + "\n", encoding="utf-8")
    return target_dir
