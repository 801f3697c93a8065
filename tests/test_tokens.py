"""A1111 chunking of CLIP tokens: 75 per chunk, comma backtrack of 20, BREAK, N/M and tag costs."""

from __future__ import annotations

from kb.prompt.attention import parse_prompt_attention
from kb.prompt.clip_bpe import get_tokenizer
from kb.prompt.tokens import (
    ChunkInfo,
    TagCost,
    chunk_segments,
    count_prompt_tokens,
    segments_with_sources,
    target_token_count,
)

CAT, COMMA, DOG = 2368, 267, 1929


def cats(count: int) -> str:
    return " ".join(["cat"] * count)


def test_empty_prompt_is_one_empty_chunk() -> None:
    report = count_prompt_tokens("")
    assert (report.count, report.target) == (0, 75)
    assert report.chunks == (ChunkInfo(0, 0, 0, None, None),)
    assert chunk_segments([("", 1.0)])[0].tokens == ()


def test_weights_follow_the_attention_segments() -> None:
    (chunk,) = chunk_segments(parse_prompt_attention("(cat:1.5) dog, [cat]"))
    assert chunk.tokens == (CAT, DOG, COMMA, CAT)
    assert chunk.weights == (1.5, 1.0, 1.0, 1 / 1.1)
    assert chunk.segment_indices == (0, 1, 1, 2)
    assert chunk.text_spans == ((0, 3), (1, 4), (4, 5), (0, 3))


def test_padding_to_77() -> None:
    (chunk,) = chunk_segments([("cat dog", 1.2)])
    assert chunk.padded_tokens()[:4] == (49406, CAT, DOG, 49407)
    assert chunk.padded_tokens() == (49406, CAT, DOG, *[49407] * 74)
    assert chunk.padded_tokens(pad_id=0) == (49406, CAT, DOG, 49407, *[0] * 73)
    assert chunk.padded_weights() == (1.0, 1.2, 1.2, *[1.0] * 74)


def test_75_tokens_fill_one_chunk_and_the_76th_opens_the_next() -> None:
    assert [len(chunk.tokens) for chunk in chunk_segments([(cats(75), 1.0)])] == [75]
    report = count_prompt_tokens(cats(80))
    assert (report.count, report.target) == (80, 150)
    assert [(chunk.start, chunk.tokens) for chunk in report.chunks] == [(0, 75), (75, 5)]
    # The border cuts the single 80-token tag.
    assert report.chunks[1].split_tag == TagCost(cats(80), 0, 319, 80)


def test_comma_within_20_tokens_moves_the_tag_to_the_next_chunk() -> None:
    prompt = cats(70) + ", " + cats(10)
    report = count_prompt_tokens(prompt)
    assert [(chunk.start, chunk.tokens) for chunk in report.chunks] == [(0, 71), (71, 10)]
    assert (report.count, report.target) == (85, 150)  # the first chunk counts 75 with its padding
    assert report.chunks[1].split_tag is None
    assert report.chunks[1].source_start == prompt.index(", ") + 2
    first, second = report.token_chunks
    assert first.tokens[-1] == COMMA
    assert second.tokens == (CAT,) * 10


def test_comma_further_than_20_tokens_does_not_move_and_the_border_splits_the_tag() -> None:
    prompt = cats(50) + ", " + cats(30)
    report = count_prompt_tokens(prompt)
    assert [(chunk.start, chunk.tokens) for chunk in report.chunks] == [(0, 75), (75, 6)]
    assert report.chunks[1].split_tag == TagCost(cats(30), 201, 320, 30)
    assert report.split_tags == (report.chunks[1],)


def test_comma_exactly_20_back_still_moves() -> None:
    chunks = chunk_segments([(cats(55) + ", " + cats(25), 1.0)])
    assert [len(chunk.tokens) for chunk in chunks] == [56, 25]
    chunks = chunk_segments([(cats(54) + ", " + cats(26), 1.0)])
    assert [len(chunk.tokens) for chunk in chunks] == [75, 6]


def test_comma_arriving_at_a_full_chunk_starts_the_next() -> None:
    chunks = chunk_segments([(cats(75) + ", dog", 1.0)])
    assert [chunk.tokens[:2] for chunk in chunks] == [(CAT, CAT), (COMMA, DOG)]


def test_backtrack_zero_never_moves() -> None:
    from kb.prompt.tokens import chunk_segments_with_count

    chunks, count = chunk_segments_with_count([(cats(70) + ", " + cats(10), 1.0)], comma_backtrack=0)
    assert [len(chunk.tokens) for chunk in chunks] == [75, 6]
    assert count == 81


def test_break_inside_brackets_is_text_as_in_the_web_ui() -> None:
    # Its weight becomes -1.3, so the web UI no longer sees a BREAK and reads the word.
    report = count_prompt_tokens("(cat BREAK dog:1.3)")
    assert (report.count, len(report.chunks)) == (3, 1)
    assert report.token_chunks[0].weights == (1.3, -1.3, 1.3)


def test_break_closes_the_chunk() -> None:
    report = count_prompt_tokens("cat BREAK dog")
    assert (report.count, report.target) == (76, 150)
    assert [(chunk.start, chunk.tokens, chunk.source_start) for chunk in report.chunks] == [
        (0, 1, 0),
        (1, 1, 10),
    ]
    assert [chunk.split_tag for chunk in report.chunks] == [None, None]
    assert (count_prompt_tokens("BREAK").count, count_prompt_tokens("BREAK").target) == (75, 75)
    assert count_prompt_tokens("cat BREAK").count == 75
    doubled = count_prompt_tokens("cat BREAK BREAK dog")
    assert [chunk.tokens for chunk in doubled.chunks] == [1, 0, 1]
    assert (doubled.count, doubled.target) == (151, 225)


def test_extra_networks_are_not_counted() -> None:
    report = count_prompt_tokens("<lora:detail:0.8>, (by chi4:0.8), cat")
    assert report.count == 6  # `,` by chi 4 `,` cat
    assert [(tag.text, tag.tokens) for tag in report.tags] == [
        ("<lora:detail:0.8>", 0),
        ("by chi4", 3),
        ("cat", 1),
    ]
    assert report.separator_tokens == 2


def test_tag_costs_and_positions() -> None:
    prompt = "ganyu \\(genshin impact\\), long hair, (amazing quality:1.5)"
    report = count_prompt_tokens(prompt)
    assert [(tag.text, tag.start, tag.end, tag.tokens) for tag in report.tags] == [
        ("ganyu \\(genshin impact\\)", 0, 24, 8),
        ("long hair", 26, 35, 2),
        ("amazing quality", 38, 53, 2),
    ]
    assert report.count == 13  # `),` is one token inside the first tag; one comma between the others
    assert report.separator_tokens == 1


def test_target_is_75_per_chunk() -> None:
    assert [target_token_count(n) for n in (0, 1, 75, 76, 150, 151)] == [75, 75, 75, 150, 150, 225]


def test_segments_with_sources_match_the_attention_parser() -> None:
    prompts = [
        "",
        "a",
        "(a)",
        "a (b:1.5) c",
        "[a] [b]",
        "((a)) (a:1.1)",
        "a \\(b\\) \\\\ c",
        "a (unclosed",
        "a BREAK b",
        "BREAK",
        "a BREAK BREAK b",
        "(a BREAK b:1.3)",
        "ganyu (genshin impact), :(, by chi4",
    ]
    for prompt in prompts:
        segments, sources = segments_with_sources(prompt)
        assert segments == parse_prompt_attention(prompt), prompt
        assert [len(text) for text, _ in segments] == [len(spans) for spans in sources]
        for (text, _), spans in zip(segments, sources, strict=True):
            for character, (start, end) in zip(text, spans, strict=True):
                if text != "BREAK":  # a BREAK piece points at the keyword and its blanks
                    assert prompt[start:end] in (character, "\\" + character), prompt


def test_chunks_keep_every_token_in_order() -> None:
    tokenizer = get_tokenizer()
    prompt = ", ".join(f"tag number {index} (with:1.2) words" for index in range(40))
    segments = parse_prompt_attention(prompt)
    expected = [token for text, _ in segments for token in tokenizer.encode(text)]
    chunks = chunk_segments(segments)
    assert [token for chunk in chunks for token in chunk.tokens] == expected
    assert all(len(chunk.tokens) <= 75 for chunk in chunks)
    # Each chunk ends after a tag's comma: 74 = the last comma within 20 tokens of the border.
    assert [len(chunk.tokens) for chunk in chunks] == [74, 70, 70, 55]


# ----------------------------------------------------------------------------------------------
# What the web UI's counter counts: schedules, AND, extra networks, ftfy-cleaned text.


def test_schedule_steps_are_expanded_and_the_longest_counts() -> None:
    # `a cat` and `a long striped dog`: the counter shows the longer one.
    report = count_prompt_tokens("a [cat:long striped dog:0.5]", steps=20)
    assert (report.count, report.target) == (4, 75)
    assert [(text.end_step, text.text, text.count) for text in report.texts] == [
        (10, "a cat", 2),
        (20, "a long striped dog", 4),
    ]
    assert report.counted == report.texts[1]
    # Tag costs are those of the counted text, at the prompt's positions.
    assert [(tag.text, tag.tokens) for tag in report.tags] == [("a [cat:long striped dog:0.5]", 4)]
    assert report.chunks[0].source_start == 0


def test_raw_schedule_syntax_is_not_counted() -> None:
    assert count_prompt_tokens("a [cat:dog:0.5]").count == 2  # the raw text would be 8
    assert count_prompt_tokens("[a|b]").count == 1
    assert count_prompt_tokens("a cat|dog").count == 4  # malformed: read literally, `|` counted


def test_alternation_is_counted_per_step() -> None:
    report = count_prompt_tokens("[cat|long striped dog|]", steps=3)
    assert [text.count for text in report.texts] == [1, 3, 0]
    assert report.count == 3
    assert report.counted is not None and report.counted.end_step == 2


def test_and_parts_are_counted_apart_and_the_longest_shows() -> None:
    report = count_prompt_tokens("<lora:x:0.8> cat AND long striped dog : 1.2")
    assert [(text.part, text.weight, text.text) for text in report.texts] == [
        (0, 1.0, " cat"),
        (1, 1.2, " long striped dog"),
    ]
    assert report.count == 3
    # The counted text's tokens map back into the prompt.
    assert report.chunks[0].source_start == 21


def test_negative_prompt_does_not_split_and() -> None:
    report = count_prompt_tokens("cat AND dog", negative=True)
    assert [text.text for text in report.texts] == ["cat AND dog"]
    assert report.count == 3


def test_too_large_step_falls_back_to_the_whole_text() -> None:
    # The web UI's counter catches the error and counts the text without extra networks, AND included.
    report = count_prompt_tokens("[a:b:1e999] AND c <lora:x:1>")
    assert report.counted is not None and report.counted.text == "[a:b:1e999] AND c "


def test_ftfy_cleaned_text_counts_as_the_web_ui() -> None:
    assert count_prompt_tokens("１ｇｉｒｌ").count == 2  # full-width: `1girl`
    assert count_prompt_tokens("ﬁsh").count == 1
    assert count_prompt_tokens("a &amp; b").count == 3
    assert count_prompt_tokens("“smile”").count == 3


def test_default_steps_are_the_settings_steps() -> None:
    from kb.settings import GenerationSettings

    report = count_prompt_tokens("[a|b]")
    assert report.steps == GenerationSettings().steps == len(report.texts)
