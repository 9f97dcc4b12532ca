from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smscli.message import GSM7, UCS2, MessageInfo, analyze

GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = "\f^{}\\[~]|€"


@pytest.mark.parametrize(
    ("length", "segments", "per_segment"),
    [(1, 1, 160), (160, 1, 160), (161, 2, 153), (306, 2, 153), (307, 3, 153), (459, 3, 153)],
)
def test_gsm7_segments(length: int, segments: int, per_segment: int) -> None:
    assert analyze("a" * length) == MessageInfo(GSM7, length, length, segments, per_segment)


@pytest.mark.parametrize(
    ("length", "segments", "per_segment"),
    [(1, 1, 70), (70, 1, 70), (71, 2, 67), (134, 2, 67), (135, 3, 67)],
)
def test_ucs2_segments(length: int, segments: int, per_segment: int) -> None:
    assert analyze("ó" * length) == MessageInfo(UCS2, length, length, segments, per_segment)


def test_whole_basic_set_is_gsm7() -> None:
    info = analyze(GSM_BASIC)
    assert info.encoding == GSM7
    assert info.units == info.chars == 127


@pytest.mark.parametrize("char", list(GSM_EXTENDED))
def test_extension_chars_count_two(char: str) -> None:
    assert analyze(char) == MessageInfo(GSM7, 1, 2, 1, 160)


def test_euro_sign() -> None:
    assert analyze("5 €") == MessageInfo(GSM7, 3, 4, 1, 160)


def test_extension_chars_push_over_a_single_segment() -> None:
    assert analyze("{" * 80).segments == 1
    assert analyze("{" * 81) == MessageInfo(GSM7, 81, 162, 2, 153)


def test_extension_escape_is_not_split_across_segments() -> None:
    # 152 septets, then "€" (2) would straddle the 153 boundary: it moves to part 2.
    text = "a" * 152 + "€" + "a" * 10
    info = analyze(text)
    assert info.units == 164
    assert info.segments == 2
    # 306 septets fit two parts by plain division, but the septet left empty at the end of
    # part 1 pushes the last character into a third.
    longer = analyze("a" * 152 + "€" + "a" * 152)
    assert (longer.units, longer.segments) == (306, 3)


@pytest.mark.parametrize("char", ["é", "è", "ñ", "Ç", "ß", "Δ", "\n", "\r"])
def test_basic_set_members(char: str) -> None:
    assert analyze(char).encoding == GSM7


@pytest.mark.parametrize("char", ["ó", "á", "ç", "ő", "ش", "中", "\u00a0", "\x1b", "\t", "`"])
def test_non_gsm_chars_switch_to_ucs2(char: str) -> None:
    assert analyze("Hello " + char).encoding == UCS2


def test_emoji_counts_two_units() -> None:
    assert analyze("😀") == MessageInfo(UCS2, 1, 2, 1, 70)
    assert analyze("Hi 👋") == MessageInfo(UCS2, 4, 5, 1, 70)


def test_emoji_at_the_ucs2_limits() -> None:
    assert analyze("😀" * 35).segments == 1  # 70 units
    assert analyze("x" + "😀" * 35).segments == 2  # 71 units
    # 66 units, then a surrogate pair that would straddle 67: it moves whole to part 2.
    info = analyze("ó" * 66 + "😀" + "ó" * 66)
    assert info.units == 134
    assert info.segments == 3


def test_lone_surrogate_does_not_crash() -> None:
    assert analyze("\udcff").encoding == UCS2


def test_empty_text() -> None:
    assert analyze("") == MessageInfo(GSM7, 0, 0, 0, 160)


@given(st.text())
def test_counts_are_consistent(text: str) -> None:
    info = analyze(text)
    assert info.chars == len(text)
    assert info.units >= info.chars
    single = 160 if info.encoding == GSM7 else 70
    if info.units <= single:
        assert info.per_segment == single
        assert info.segments == (1 if text else 0)
    else:
        # Never fewer parts than the plain division, and at most one extra per part.
        assert info.segments >= math.ceil(info.units / info.per_segment)
        assert info.segments <= math.ceil(info.units / (info.per_segment - 1))


@given(st.text(alphabet=GSM_BASIC + GSM_EXTENDED))
def test_gsm_alphabet_stays_gsm7(text: str) -> None:
    info = analyze(text)
    assert info.encoding == GSM7
    assert info.units == len(text) + sum(text.count(c) for c in GSM_EXTENDED)
