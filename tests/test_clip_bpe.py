"""The offline CLIP tokenizer gives the real CLIP ids: the web UI's (ftfy-cleaned) ids by default, and
transformers' tokenizers-backed CLIPTokenizer's ids with `TextCleaning.TOKENIZERS` (checked against it)."""

from __future__ import annotations

import gzip
import random
import unicodedata
from pathlib import Path

import pytest

from kb.errors import ClipVocabularyError
from kb.prompt.clip_bpe import (
    END_OF_TEXT_ID,
    START_OF_TEXT_ID,
    ClipTokenizer,
    TextCleaning,
    TokenSpan,
    clean_text,
    find_bpe_vocab_path,
    get_tokenizer,
    load_vocabulary,
    pre_tokenize,
    write_hf_tokenizer_files,
)
from kb.prompt.clip_vocab import merges_cache_path

FRAGMENTS = (
    "cat", "a photo of a cat", "1girl", "solo", "long hair", "long_hair", "ganyu \\(genshin impact\\)",
    "ganyu (genshin impact)", "(by chi4:0.8)", "[by ask]", "by yoneyama mai", "amazing quality",
    "(best quality:1.3)", "flat-pasto", "pseudo-impasto", "kr-anime", "watercolor \\(medium\\)",
    ":(", ":)", ";)", "(:3)", "^_^", ">_<", "o_o", "<o>_<o>", "(o)_(o)", "||_||", "+_-", "._.",
    "BREAK", "AND", "<lora:detail:0.8>", "[cat:dog:0.5]", "[a|b]", "it's", "I'LL", "we've", "DON'T",
    "don’t", "café", "cafe\u0301", "naïve", "Ångström", "ΟΔΟΣ", "İstanbul", "日本語", "初音ミク",
    "ｆｕｌｌｗｉｄｔｈ！", "²½", "㆒", "Ⅻ", "😀🎉", "&amp;", "<b>", "<|endoftext|>", "<|startoftext|>",
    "<|ENDOFTEXT|>",
    "1.5", "3d", "2boys", "x\u00a0y", "\u3000", "\t", "\n", "  ", "#hashtag", "@user", "100%",
    "e=mc^2", "Łódź", "straße", "ǅemal", "x\x1cy", "x\x85y", "a__b", "__init__", "''", "'s'",
)


def varied_strings(count: int, seed: int) -> list[str]:
    chooser = random.Random(seed)
    strings = list(FRAGMENTS)
    separators = (", ", ",", " ", "", "  ", ",\n", " BREAK ")
    while len(strings) < count:
        pieces = chooser.sample(FRAGMENTS, chooser.randint(2, 6))
        text = pieces[0]
        for piece in pieces[1:]:
            text += chooser.choice(separators) + piece
        strings.append(text.upper() if chooser.random() < 0.1 else text)
    return strings


@pytest.fixture(scope="module")
def hf_tokenizer(tmp_path_factory: pytest.TempPathFactory) -> object:
    transformers = pytest.importorskip("transformers")
    folder = write_hf_tokenizer_files(tmp_path_factory.mktemp("clip-tokenizer"))
    return transformers.CLIPTokenizer.from_pretrained(str(folder))


def test_known_ids() -> None:
    tokenizer = get_tokenizer()
    assert tokenizer.encode("cat") == [2368]
    assert tokenizer.encode("a photo of a cat") == [320, 1125, 539, 320, 2368]
    assert tokenizer.encode("masterpiece, best quality") == [12066, 267, 949, 3027]
    assert tokenizer.comma_id == 267
    assert (START_OF_TEXT_ID, END_OF_TEXT_ID) == (49406, 49407)
    assert tokenizer.encode("<|startoftext|> cat <|endoftext|>") == [49406, 2368, 49407]
    # Only the exact special text is special; other spellings are ordinary symbols and letters.
    assert tokenizer.encode(",<|startoftext|>") == [267, 49406]
    # The web UI's Python tokenizer lower-cases first and then reads the special token...
    assert tokenizer.encode("<|ENDOFTEXT|>") == [49407]
    # ...transformers' tokenizers-backed one reads ordinary symbols and letters.
    tokenizers_backed = get_tokenizer(TextCleaning.TOKENIZERS)
    assert tokenizers_backed.encode("<|ENDOFTEXT|>") == [27, 347, 40786, 4160, 91, 285]
    assert [tokenizer.token_text(token) for token in tokenizer.encode("by yoneyama mai")] == [
        "by ", "yon", "ey", "ama ", "mai ",
    ]


def test_vocabulary_shape() -> None:
    vocabulary = load_vocabulary()
    assert len(vocabulary.token_ids) == 49408
    assert len(vocabulary.merges) == len(vocabulary.merge_lines) == 48894
    assert vocabulary.merges[0] == ("i", "n")
    assert vocabulary.token_ids["<|endoftext|>"] == 49407


def test_spans_point_into_the_input() -> None:
    text = "Long Hair, ganyu \\(x\\)"
    spans = get_tokenizer().encode_with_spans(text)
    assert spans == [
        TokenSpan(1538, 0, 4), TokenSpan(2225, 5, 9), TokenSpan(267, 9, 10),
        TokenSpan(70, 11, 12), TokenSpan(1307, 12, 15), TokenSpan(340, 15, 16),
        TokenSpan(59, 17, 18), TokenSpan(263, 18, 19), TokenSpan(343, 19, 20),
        TokenSpan(59, 20, 21), TokenSpan(264, 21, 22),
    ]
    assert [text[span.start : span.end] for span in spans][:6] == ["Long", "Hair", ",", "g", "any", "u"]


def test_ids_equal_transformers_clip_tokenizer(hf_tokenizer: object) -> None:
    ours = get_tokenizer(TextCleaning.TOKENIZERS)
    strings = varied_strings(400, seed=3)
    mismatches = [
        (text, ours.encode(text), hf_tokenizer(text, add_special_tokens=False)["input_ids"])  # type: ignore[operator]
        for text in strings
        if ours.encode(text) != hf_tokenizer(text, add_special_tokens=False)["input_ids"]  # type: ignore[operator]
    ]
    assert mismatches == []


def test_danbooru_tags_equal_transformers(hf_tokenizer: object, shared_data: Path) -> None:
    lines = (shared_data / "danbooru.csv").read_text(encoding="utf-8").splitlines()
    names = [line.split(",", 1)[0].replace("_", " ") for line in lines[::700]]
    ours = get_tokenizer(TextCleaning.TOKENIZERS)
    mismatches = [
        name for name in names
        if ours.encode(name) != hf_tokenizer(name, add_special_tokens=False)["input_ids"]  # type: ignore[operator]
    ]
    assert len(names) > 150
    assert mismatches == []


def test_pre_tokenizer_equals_the_reference_regex() -> None:
    regex = pytest.importorskip("regex")
    reference = regex.compile(
        r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"""
    )
    # Code points this Python's Unicode tables leave unassigned (Cn) may be letters in `regex`'s newer ones.
    sweep = "".join(chr(code) for code in range(0x20, 0x3000, 7) if unicodedata.category(chr(code)) != "Cn")
    samples = [*varied_strings(200, seed=11), sweep]
    for text in samples:
        normalized = text.lower()
        expected = [match.span() for match in reference.finditer(normalized)]
        assert pre_tokenize(normalized) == expected, text


def test_bad_vocabulary_file_names_the_file(tmp_path: Path) -> None:
    short_file = tmp_path / "short.txt.gz"
    with gzip.open(short_file, "wt", encoding="utf-8") as handle:
        handle.write("#version: 0.2\ni n\n")
    with pytest.raises(ClipVocabularyError, match=r"short\.txt\.gz:3: CLIP vocabulary too short"):
        load_vocabulary(short_file)


def test_merges_cache_is_written_and_a_broken_one_is_ignored() -> None:
    bpe_path = find_bpe_vocab_path()
    cache_path = merges_cache_path(bpe_path)
    assert cache_path is not None
    fresh = load_vocabulary.__wrapped__(bpe_path)
    assert cache_path.is_file()  # the isolated XDG cache of this test
    assert load_vocabulary.__wrapped__(bpe_path).merge_lines == fresh.merge_lines
    cache_path.write_bytes(b"not marshal data")
    assert load_vocabulary.__wrapped__(bpe_path).merge_lines == fresh.merge_lines
    assert ClipTokenizer(load_vocabulary.__wrapped__(bpe_path)).encode("cat") == [2368]


# Ids the web UI's tokenizers give (transformers 4.30's Python CLIPTokenizer with ftfy for CLIP-L,
# open_clip 2.20's SimpleTokenizer for bigG), worked out from the cleaning each applies.
WEB_UI_IDS = [
    # text, CLIP-L ids, bigG ids
    ("１ｇｉｒｌ", [272, 1611], [272, 1611]),  # full-width forms: `1girl`
    ("ﬁsh", [2759], [2759]),  # the ligature is `fi`
    ("a &amp; b", [320, 261, 321], [320, 261, 321]),  # one entity, unescaped by ftfy
    ("“quoted”", [257, 27706, 257], [257, 27706, 257]),  # curly quotes straightened
    ("ΣΑΣ", [139, 225, 138, 109, 139, 480], [139, 225, 138, 109, 139, 480]),  # final sigma: ς
    ("a\x1cb", [3937], [3937]),  # control characters dropped: `ab`
    ("&amp;amp;", [261], [261]),
    ("café", [15304], [15304]),
    # ftfy leaves entities alone in text holding `<`; bigG unescapes twice anyway.
    ("&lt;3 <x", [261, 3333, 282, 274, 283, 343], [283, 274, 283, 343]),
    # Special tokens: CLIP-L's `<|endoftext|>` (any case), bigG's `<end_of_text>`.
    ("<|ENDOFTEXT|>", [49407], [27, 347, 40786, 4160, 91, 285]),
    ("x<|endoftext|>y", [343, 49407, 344], [343, 27, 347, 40786, 4160, 91, 285, 344]),
    ("<start_of_text>x", [283, 1572, 318, 539, 318, 4160, 285, 343], [49406, 343]),
]


@pytest.mark.parametrize(("text", "clip_l", "bigg"), WEB_UI_IDS)
def test_web_ui_cleaning(text: str, clip_l: list[int], bigg: list[int]) -> None:
    assert get_tokenizer(TextCleaning.CLIP_L).encode(text) == clip_l
    assert get_tokenizer(TextCleaning.OPEN_CLIP).encode(text) == bigg


def test_clean_text_and_spans_of_cleaned_text() -> None:
    assert clean_text("Ｃａｔ  “Ear”  ﬁx") == 'cat "ear" fix'
    assert clean_text("&lt;b&gt;", TextCleaning.OPEN_CLIP) == "<b>"
    assert clean_text("&lt;b&gt;", TextCleaning.CLIP_L) == "<b>"  # no `<` in the text: ftfy unescapes
    assert clean_text("<&lt;b&gt;", TextCleaning.CLIP_L) == "<&lt;b&gt;"
    text = "ｃａｔ, dog"  # full-width: same length after cleaning, spans stay exact
    spans = get_tokenizer().encode_with_spans(text)
    assert [text[span.start : span.end] for span in spans] == ["ｃａｔ", ",", "dog"]
