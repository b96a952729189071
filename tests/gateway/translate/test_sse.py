"""The SSE decoder: any split of the same bytes gives the same events; the standard's line rules hold."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from switchover.gateway.translate import SseDecoder, SseEvent


def decode(*chunks: bytes) -> list[SseEvent]:
    decoder = SseDecoder()
    events: list[SseEvent] = []
    for chunk in chunks:
        events.extend(decoder.feed(chunk))
    return events + decoder.close()


def test_named_events_and_data_only_events() -> None:
    body = b'event: message_start\ndata: {"a": 1}\n\ndata: {"b": 2}\n\ndata: [DONE]\n\n'
    assert decode(body) == [
        SseEvent("message_start", '{"a": 1}'),
        SseEvent(None, '{"b": 2}'),
        SseEvent(None, "[DONE]"),
    ]


def test_crlf_cr_and_lf_line_ends_are_equivalent() -> None:
    expected = [SseEvent("x", "1"), SseEvent(None, "2")]
    assert decode(b"event: x\ndata: 1\n\ndata: 2\n\n") == expected
    assert decode(b"event: x\r\ndata: 1\r\n\r\ndata: 2\r\n\r\n") == expected
    assert decode(b"event: x\rdata: 1\r\rdata: 2\r\r") == expected


def test_crlf_split_between_reads_is_one_line_end() -> None:
    assert decode(b"data: 1\r", b"\n\r", b"\ndata: 2\r\n\r\n") == [SseEvent(None, "1"), SseEvent(None, "2")]


def test_a_lone_lf_after_a_split_crlf_is_a_line_end_of_its_own() -> None:
    assert decode(b"data: 1\r", b"\n", b"\ndata: 2\n\n") == [SseEvent(None, "1"), SseEvent(None, "2")]
    assert decode(b"data: 1\r", b"", b"\n", b"\n") == [SseEvent(None, "1")]
    assert decode(b"data: 1\r\r", b"\ndata: 2\n\n") == [SseEvent(None, "1"), SseEvent(None, "2")]


def test_comments_are_skipped_and_multi_line_data_is_joined() -> None:
    body = b": keep-alive\n\nevent: e\n: mid-event comment\ndata: line one\ndata:line two\ndata\n\n"
    assert decode(body) == [SseEvent("e", "line one\nline two\n")]


def test_empty_data_is_not_dispatched_and_event_name_does_not_leak() -> None:
    assert decode(b"event: lonely\n\ndata:\n\ndata: after\n\n") == [SseEvent(None, "after")]


def test_only_one_leading_space_is_stripped() -> None:
    assert decode(b"data:  two spaces\n\n") == [SseEvent(None, " two spaces")]


def test_unknown_fields_id_and_retry_are_ignored() -> None:
    assert decode(b"id: 7\nretry: 100\nfoo: bar\ndata: x\n\n") == [SseEvent(None, "x")]


def test_close_dispatches_an_event_missing_its_blank_line() -> None:
    decoder = SseDecoder()
    assert decoder.feed(b"data: partial") == []
    assert decoder.close() == [SseEvent(None, "partial")]
    assert decoder.close() == []


def test_utf8_split_inside_a_character() -> None:
    raw = 'data: 你好 ✓ 🙂\n\n'.encode()
    for cut in range(len(raw) + 1):
        assert decode(raw[:cut], raw[cut:]) == [SseEvent(None, "你好 ✓ 🙂")], cut


def test_encode_round_trips_multi_line_data() -> None:
    events = [SseEvent("a", "one\ntwo"), SseEvent(None, "{}"), SseEvent("message_stop", '{"type": "message_stop"}')]
    assert decode(b"".join(e.encode() for e in events)) == events
    assert SseEvent("ping", '{"type": "ping"}').encode() == b'event: ping\ndata: {"type": "ping"}\n\n'


_names = st.one_of(st.none(), st.text(alphabet="abcdefghijklmnopqrstuvwxyz._", min_size=1, max_size=12))
_datas = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r"), min_size=1, max_size=40
).filter(lambda d: d.strip("\n") != "" or "\n" in d)


@given(
    events=st.lists(st.builds(SseEvent, _names, _datas), max_size=8),
    line_end=st.sampled_from([b"\n", b"\r\n", b"\r"]),
    cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=12),
)
def test_any_chunking_of_any_stream_gives_the_same_events(
    events: list[SseEvent], line_end: bytes, cuts: list[int]
) -> None:
    wire = b"".join(e.encode() for e in events).replace(b"\n", line_end)
    points = sorted({c % (len(wire) + 1) for c in cuts})
    pieces = [wire[a:b] for a, b in zip([0, *points], [*points, len(wire)], strict=True)]
    assert decode(*pieces) == events
