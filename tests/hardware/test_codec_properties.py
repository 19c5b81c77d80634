"""Properties of the register codec that must hold for every register shape."""

from __future__ import annotations

from hypothesis import assume, given, strategies as st

from custom_components.sot_point.hardware.profiles import dse_gencomm as dse
from custom_components.sot_point.hardware.registers import (
    Block,
    RegisterSpec,
    Unavailable,
    Value,
    decode_block,
    decode_nibbles,
    encode_nibbles,
)

# Scale -> the divisor that turns a raw integer into the value exactly.
DIVISORS = {1.0: 1, 0.1: 10, 0.01: 100}
SENTINEL_COUNT = 8  # 0x..FF down to 0x..F8, GenComm section 5


def _bounds(words: int, signed: bool, sentinels: bool) -> tuple[int, int]:
    """The lowest and highest raw integer that is a number, by the type alone."""
    bits = 16 * words
    low = -(2 ** (bits - 1)) if signed else 0
    high = 2 ** (bits - 1) - 1 if signed else 2**bits - 1
    return low, high - (SENTINEL_COUNT if sentinels else 0)


@st.composite
def register_specs(draw: st.DrawFn, *, with_valid: bool = False) -> RegisterSpec:
    """Any register shape GenComm uses: u16, s16, u32, s32 with a scale."""
    words = draw(st.sampled_from([1, 2]))
    signed = draw(st.booleans())
    scale = draw(st.sampled_from(list(DIVISORS)))
    sentinels = draw(st.booleans())
    valid: tuple[float, float] | None = None
    if with_valid and draw(st.booleans()):
        low, high = _bounds(words, signed, sentinels)
        a, b = sorted(draw(st.integers(low, high)) for _ in range(2))
        valid = (a * scale, b * scale)
    address = draw(st.integers(0, 0xFFFF - words))
    return RegisterSpec(
        "x", address, words, signed, scale, sentinels=sentinels, valid=valid
    )


def _decode(spec: RegisterSpec, words: list[int]) -> Value:
    return decode_block([spec], Block("b", spec.address, spec.words), words)["x"]


@given(st.data())
def test_any_in_range_value_round_trips(data: st.DataObject) -> None:
    spec = data.draw(register_specs())
    low, high = _bounds(spec.words, spec.signed, spec.sentinels)
    raw = data.draw(st.integers(low, high))
    divisor = DIVISORS[spec.scale]
    value = raw if divisor == 1 else raw / divisor

    words = spec.words_of(value)

    assert len(words) == spec.words
    assert all(0 <= word <= 0xFFFF for word in words)
    # The words, read back as two's complement high word first, are the raw value.
    unsigned = int.from_bytes(b"".join(w.to_bytes(2) for w in words))
    bits = 16 * spec.words
    if spec.signed and unsigned >= 2 ** (bits - 1):
        unsigned -= 2**bits
    assert unsigned == raw
    decoded = _decode(spec, words)
    assert not isinstance(decoded, Unavailable)
    assert decoded == value


@given(register_specs(), st.sampled_from(list(Unavailable)))
def test_every_reason_round_trips_where_sentinels_exist(
    spec: RegisterSpec, reason: Unavailable
) -> None:
    assume(spec.sentinels)
    assert _decode(spec, spec.words_of(reason)) is reason


@given(register_specs(), st.floats(-1e12, 1e12))
def test_no_number_is_ever_encoded_as_a_sentinel(
    spec: RegisterSpec, value: float
) -> None:
    # A simulator asked for an impossible number still sends a number.
    assert not isinstance(_decode(spec, spec.words_of(value)), Unavailable)


@given(st.data())
def test_any_words_decode_to_a_number_in_range_or_a_reason(
    data: st.DataObject,
) -> None:
    spec = data.draw(register_specs(with_valid=True))
    word = st.integers(0, 0xFFFF)
    words = data.draw(st.lists(word, min_size=spec.words, max_size=spec.words))

    decoded = _decode(spec, words)

    if isinstance(decoded, Unavailable):
        return
    assert isinstance(decoded, int | float)
    low, high = _bounds(spec.words, spec.signed, spec.sentinels)
    divisor = DIVISORS[spec.scale]
    assert low <= round(decoded * divisor) <= high
    if spec.valid is not None:
        assert spec.valid[0] <= decoded <= spec.valid[1]
    # A number shown to the user is exactly what the words said.
    assert spec.words_of(decoded) == words


@given(st.lists(st.integers(0, 0xFFFF), min_size=66, max_size=66))
def test_any_page_4_read_shows_only_plausible_numbers(words: list[int]) -> None:
    values = decode_block(dse.INSTRUMENT_SPECS, dse.INSTRUMENT_BLOCK, words)
    assert set(values) == {spec.key for spec in dse.INSTRUMENT_SPECS}
    for spec in dse.INSTRUMENT_SPECS:
        value = values[spec.key]
        if spec.valid is not None and not isinstance(value, Unavailable):
            assert spec.valid[0] <= value <= spec.valid[1], (spec.key, value)


@given(st.lists(st.integers(0, 15), max_size=160))
def test_alarm_codes_round_trip_through_registers(codes: list[int]) -> None:
    words = encode_nibbles(codes)
    assert len(words) == (len(codes) + 3) // 4
    assert all(0 <= word <= 0xFFFF for word in words)
    assert decode_nibbles(words, len(codes)) == codes


@given(st.lists(st.integers(0, 0xFFFF), max_size=40))
def test_alarm_registers_round_trip_through_codes(words: list[int]) -> None:
    assert encode_nibbles(decode_nibbles(words, 4 * len(words))) == words


@given(st.frozensets(st.integers(0, 127)))
def test_supported_functions_round_trip(functions: frozenset[int]) -> None:
    words = dse.supported_function_words(functions)
    assert len(words) == 8
    assert dse.supported_functions(words) == functions


@given(st.lists(st.integers(0, 0xFFFF), min_size=8, max_size=8))
def test_supported_function_words_round_trip(words: list[int]) -> None:
    functions = dse.supported_functions(words)
    assert all(0 <= n <= 127 for n in functions)
    assert dse.supported_function_words(functions) == words


@given(st.sampled_from(list(dse.ControlKey)))
def test_every_control_key_is_read_back_from_its_words(key: dse.ControlKey) -> None:
    words = dse.control_words(key)
    assert words[0] + words[1] == 0xFFFF
    assert dse.key_from_words(words) is key


@given(st.integers(0, 0xFFFF), st.integers(0, 0xFFFF))
def test_words_without_the_complement_are_never_a_key(key: int, other: int) -> None:
    assume(key + other != 0xFFFF)
    assert dse.key_from_words([key, other]) is None
