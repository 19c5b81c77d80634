"""The register codec and the DSE GenComm profile against the GenComm tables.

Every expected value here is written by hand from shared/domain/dse-gencomm.md
(section numbers in the comments), never computed with the codec under test.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from custom_components.sot_point.hardware.profiles import dse_gencomm as dse
from custom_components.sot_point.hardware.registers import (
    Block,
    RegisterSpec,
    Unavailable,
    Value,
    block_for,
    decode_block,
    decode_nibbles,
    encode_nibbles,
    encode_values,
)
from custom_components.sot_point.hardware.state import AlarmCondition

SPECS = {spec.key: spec for spec in dse.ALL_VALUE_SPECS + dse.IDENTITY_SPECS}


def decode_one(key: str, words: Sequence[int]) -> Value:
    """Decode one named GenComm value from the words a controller sent."""
    spec = SPECS[key]
    return decode_block([spec], block_for(key, [spec]), words)[key]


# Page 4, 1024..1089 (doc section 3), as a running set on a cold winter day
# during a mains failure: mains voltages 0, mains currents not implemented.
PAGE_4_WORDS = [
    0x00C8,  # 1024 oil pressure 200 kPa
    0xFFF6,  # 1025 coolant temperature -10 °C (s16)
    0x7FFF,  # 1026 oil temperature: unimplemented (s16, so 0x7FFF)
    0x004B,  # 1027 fuel level 75 %
    0x008C,  # 1028 charge alternator 14.0 V
    0x0087,  # 1029 battery 13.5 V
    0x05DC,  # 1030 engine speed 1500 rpm
    0x01F4,  # 1031 generator frequency 50.0 Hz
    0x0000, 0x08FC,  # 1032 gen L1-N 230.0 V (u32, high word first)
    0x0000, 0x0901,  # 1034 gen L2-N 230.5 V
    0x0000, 0x08F7,  # 1036 gen L3-N 229.5 V
    0x0000, 0x0F94,  # 1038 gen L1-L2 398.8 V
    0x0000, 0x0F9E,  # 1040 gen L2-L3 399.8 V
    0x0001, 0x0000,  # 1042 gen L3-L1 6553.6 V: beyond 0..3000 V, bad data
    0x0000, 0x0064,  # 1044 gen L1 current 10.0 A
    0x0000, 0x0055,  # 1046 gen L2 current 8.5 A
    0x0000, 0x004B,  # 1048 gen L3 current 7.5 A
    0xFFFF, 0xFFFC,  # 1050 earth current: transducer fault
    0x0000, 0x08FC,  # 1052 gen L1 power 2300 W (s32)
    0xFFFF, 0xFC18,  # 1054 gen L2 power -1000 W
    0x7FFF, 0xFFFF,  # 1056 gen L3 power: unimplemented (s32)
    0x0000,  # 1058 current lag/lead (not read into a value)
    0x0000,  # 1059 mains frequency 0.0 Hz
    0x0000, 0x0000,  # 1060 mains L1-N 0.0 V
    0x0000, 0x0000,  # 1062 mains L2-N 0.0 V
    0x0000, 0x0000,  # 1064 mains L3-N 0.0 V
    0, 0, 0, 0, 0, 0,  # 1066..1071 mains L-L (not read into values)
    0, 0, 0, 0,  # 1072..1075 lag/lead, phase rotations, gap
    0xFFFF, 0xFFFF,  # 1076 mains L1 current: unimplemented
    0xFFFF, 0xFFFF,  # 1078 mains L2 current: unimplemented
    0xFFFF, 0xFFFF,  # 1080 mains L3 current: unimplemented
    0xFFFF, 0xFFFF,  # 1082..1083 gap
    0x0000, 0x0000,  # 1084 mains L1 power 0 W
    0x7FFF, 0xFFFE,  # 1086 mains L2 power: over range
    0x7FFF, 0xFFFB,  # 1088 mains L3 power: bad data
]  # fmt: skip

PAGE_4_EXPECTED: dict[str, Value] = {
    "oil_pressure": 200,
    "coolant_temperature": -10,
    "oil_temperature": Unavailable.NOT_AVAILABLE,
    "fuel_level": 75,
    "charge_alternator_voltage": 14.0,
    "battery_voltage": 13.5,
    "engine_speed": 1500,
    "generator_frequency": 50.0,
    "generator_voltage_l1_n": 230.0,
    "generator_voltage_l2_n": 230.5,
    "generator_voltage_l3_n": 229.5,
    "generator_voltage_l1_l2": 398.8,
    "generator_voltage_l2_l3": 399.8,
    "generator_voltage_l3_l1": Unavailable.BAD_DATA,
    "generator_current_l1": 10.0,
    "generator_current_l2": 8.5,
    "generator_current_l3": 7.5,
    "generator_earth_current": Unavailable.TRANSDUCER_FAULT,
    "generator_power_l1": 2300,
    "generator_power_l2": -1000,
    "generator_power_l3": Unavailable.NOT_AVAILABLE,
    "mains_frequency": 0.0,
    "mains_voltage_l1_n": 0.0,
    "mains_voltage_l2_n": 0.0,
    "mains_voltage_l3_n": 0.0,
    "mains_current_l1": Unavailable.NOT_AVAILABLE,
    "mains_current_l2": Unavailable.NOT_AVAILABLE,
    "mains_current_l3": Unavailable.NOT_AVAILABLE,
    "mains_power_l1": 0,
    "mains_power_l2": Unavailable.OVER_RANGE,
    "mains_power_l3": Unavailable.BAD_DATA,
}


def test_page_4_block_is_1024_to_1089() -> None:
    assert len(PAGE_4_WORDS) == 66
    assert dse.INSTRUMENT_BLOCK.address == 1024
    assert dse.INSTRUMENT_BLOCK.count == 66
    assert dse.INSTRUMENT_BLOCK.end - 1 == 1089


def test_page_4_decodes_to_the_documented_values() -> None:
    values = decode_block(dse.INSTRUMENT_SPECS, dse.INSTRUMENT_BLOCK, PAGE_4_WORDS)
    assert values == PAGE_4_EXPECTED


def test_page_4_units_follow_the_gencomm_table() -> None:
    units = {spec.key: spec.unit for spec in dse.INSTRUMENT_SPECS}
    assert units["oil_pressure"] == "kPa"
    assert units["coolant_temperature"] == "°C"
    assert units["battery_voltage"] == "V"
    assert units["generator_frequency"] == "Hz"
    assert units["generator_current_l1"] == "A"
    assert units["generator_power_l1"] == "W"


def test_a_short_read_is_rejected_rather_than_decoded_shifted() -> None:
    with pytest.raises(ValueError, match="expected 66 registers, got 65"):
        decode_block(dse.INSTRUMENT_SPECS, dse.INSTRUMENT_BLOCK, PAGE_4_WORDS[:-1])


def test_values_are_written_back_to_the_same_words() -> None:
    registers = encode_values(
        dse.INSTRUMENT_SPECS,
        {
            "oil_pressure": 200,
            "coolant_temperature": -10,
            "battery_voltage": 13.5,
            "generator_voltage_l1_n": 230.0,
            "generator_power_l2": -1000,
            "generator_earth_current": Unavailable.TRANSDUCER_FAULT,
        },
    )
    assert registers == {
        1024: 0x00C8,
        1025: 0xFFF6,
        1029: 0x0087,
        1032: 0x0000,
        1033: 0x08FC,
        1050: 0xFFFF,
        1051: 0xFFFC,
        1054: 0xFFFF,
        1055: 0xFC18,
    }


# Section 5: sentinels count down from the top of each type.
@pytest.mark.parametrize(
    ("word", "reason"),
    [
        (0xFFFF, Unavailable.NOT_AVAILABLE),
        (0xFFFE, Unavailable.OVER_RANGE),
        (0xFFFD, Unavailable.UNDER_RANGE),
        (0xFFFC, Unavailable.TRANSDUCER_FAULT),
        (0xFFFB, Unavailable.BAD_DATA),
        (0xFFFA, Unavailable.HIGH_DIGITAL_INPUT),
        (0xFFF9, Unavailable.LOW_DIGITAL_INPUT),
        (0xFFF8, Unavailable.RESERVED),
    ],
)
def test_u16_sentinels(word: int, reason: Unavailable) -> None:
    # An open-circuit oil-pressure sender reads 0xFFFC (G129 p.38).
    assert decode_one("oil_pressure", [word]) is reason


@pytest.mark.parametrize(
    ("word", "reason"),
    [
        (0x7FFF, Unavailable.NOT_AVAILABLE),
        (0x7FFE, Unavailable.OVER_RANGE),
        (0x7FFD, Unavailable.UNDER_RANGE),
        (0x7FFC, Unavailable.TRANSDUCER_FAULT),
        (0x7FFB, Unavailable.BAD_DATA),
        (0x7FFA, Unavailable.HIGH_DIGITAL_INPUT),
        (0x7FF9, Unavailable.LOW_DIGITAL_INPUT),
        (0x7FF8, Unavailable.RESERVED),
    ],
)
def test_s16_sentinels(word: int, reason: Unavailable) -> None:
    assert decode_one("coolant_temperature", [word]) is reason


@pytest.mark.parametrize(
    ("words", "reason"),
    [
        ([0xFFFF, 0xFFFF], Unavailable.NOT_AVAILABLE),
        ([0xFFFF, 0xFFFE], Unavailable.OVER_RANGE),
        ([0xFFFF, 0xFFFD], Unavailable.UNDER_RANGE),
        ([0xFFFF, 0xFFFC], Unavailable.TRANSDUCER_FAULT),
        ([0xFFFF, 0xFFFB], Unavailable.BAD_DATA),
        ([0xFFFF, 0xFFF8], Unavailable.RESERVED),
    ],
)
def test_u32_sentinels(words: list[int], reason: Unavailable) -> None:
    assert decode_one("generator_voltage_l1_n", words) is reason
    # Run time has no documented range, so only the sentinel can say "no value".
    assert decode_one("run_time", words) is reason


@pytest.mark.parametrize(
    ("words", "reason"),
    [
        ([0x7FFF, 0xFFFF], Unavailable.NOT_AVAILABLE),
        ([0x7FFF, 0xFFFE], Unavailable.OVER_RANGE),
        ([0x7FFF, 0xFFFD], Unavailable.UNDER_RANGE),
        ([0x7FFF, 0xFFFC], Unavailable.TRANSDUCER_FAULT),
        ([0x7FFF, 0xFFFB], Unavailable.BAD_DATA),
        ([0x7FFF, 0xFFF8], Unavailable.RESERVED),
    ],
)
def test_s32_sentinels(words: list[int], reason: Unavailable) -> None:
    assert decode_one("generator_power_l1", words) is reason


def test_the_word_just_below_the_sentinels_is_a_number() -> None:
    # 0x7FF7 = 32767 - 8 = 32759 W; 0x7FFFFFF7 = 2147483639 W.
    assert decode_one("generator_power_l1", [0x7FFF, 0xFFF7]) == 2147483639
    # A u16 without documented range (status flags carry no sentinels at all).
    assert decode_one("status_flags", [0xFFFF]) == 0xFFFF


def test_signed_all_ones_is_minus_one_not_a_sentinel() -> None:
    # 0xFFFFFFFF as s32 is -1 W, not "unimplemented" (that is 0x7FFFFFFF);
    # 0xFFFF as s16 is -1 °C, a real winter reading.
    assert decode_one("generator_power_l1", [0xFFFF, 0xFFFF]) == -1
    assert decode_one("oil_temperature", [0xFFFF]) == -1


def test_32_bit_values_are_high_word_first() -> None:
    assert decode_one("run_time", [0x0001, 0x0000]) == 65536
    assert decode_one("run_time", [0x0000, 0x0001]) == 1
    assert decode_one("energy_positive", [0x0001, 0x0000]) == 6553.6
    assert decode_one("number_of_starts", [0x0000, 0x0C35]) == 3125
    # 0x0001E240 = 123456; the serial number carries no sentinels.
    assert decode_one("serial_number", [0x0001, 0xE240]) == 123456
    assert decode_one("serial_number", [0xFFFF, 0xFFFF]) == 4294967295


def test_voltage_beyond_its_documented_range_is_bad_data() -> None:
    # 65536 raw x 0.1 V = 6553.6 V is no phase voltage.
    assert decode_one("generator_voltage_l1_n", [0x0001, 0x0000]) is (
        Unavailable.BAD_DATA
    )


@pytest.mark.parametrize(
    ("key", "word", "expected"),
    [
        ("oil_pressure", 0x2710, 10000),
        ("oil_pressure", 0x2711, Unavailable.BAD_DATA),
        ("coolant_temperature", 0xFFCE, -50),
        ("coolant_temperature", 0xFFCD, Unavailable.BAD_DATA),
        ("coolant_temperature", 0x00C8, 200),
        ("coolant_temperature", 0x00C9, Unavailable.BAD_DATA),
        ("coolant_temperature", 0x8000, Unavailable.BAD_DATA),
        ("fuel_level", 0x0082, 130),
        ("fuel_level", 0x0083, Unavailable.BAD_DATA),
        ("battery_voltage", 0x0190, 40.0),
        ("battery_voltage", 0x0191, Unavailable.BAD_DATA),
        ("engine_speed", 0x1770, 6000),
        ("engine_speed", 0x1771, Unavailable.BAD_DATA),
        ("generator_frequency", 0x02BC, 70.0),
        ("generator_frequency", 0x02BD, Unavailable.BAD_DATA),
        ("control_mode", 0x0007, 7),
        ("control_mode", 0x0008, Unavailable.BAD_DATA),
    ],
)
def test_values_outside_the_documented_range_are_bad_data(
    key: str, word: int, expected: Value
) -> None:
    assert decode_one(key, [word]) == expected


def test_load_percent_is_signed_tenths() -> None:
    # 1558 (page 6 offset 22): s16, 0.1 %. 0xFFEC = -20 -> -2.0 % (reverse power).
    assert decode_one("load_percent", [0x02EE]) == 75.0
    assert decode_one("load_percent", [0xFFEC]) == -2.0


# Section 6: four alarm codes per register, the first in bits 15-12.
def test_alarm_register_39425_unpacks_first_alarm_from_the_top_nibble() -> None:
    assert decode_nibbles([0x3121], 4) == [3, 1, 2, 1]
    conditions = dict(
        zip(
            dse.NAMED_ALARMS[:4],
            (AlarmCondition.from_code(c) for c in decode_nibbles([0x3121], 4)),
            strict=True,
        )
    )
    assert conditions == {
        "emergency_stop": AlarmCondition.SHUTDOWN,
        "low_oil_pressure": AlarmCondition.NOT_ACTIVE,
        "high_coolant_temperature": AlarmCondition.WARNING,
        "low_coolant_temperature": AlarmCondition.NOT_ACTIVE,
    }


def test_alarm_nibbles_pack_back_into_the_same_register() -> None:
    assert encode_nibbles([3, 1, 2, 1]) == [0x3121]
    # Five codes need two registers; the unused nibbles of the second stay 0.
    assert encode_nibbles([1, 1, 1, 1, 4]) == [0x1111, 0x4000]
    assert decode_nibbles([0x1111, 0x4000], 5) == [1, 1, 1, 1, 4]


# The register rows of page 154 that two sources agree on (section 6 table).
PAGE_154_ROWS = {
    39425: (
        "emergency_stop",
        "low_oil_pressure",
        "high_coolant_temperature",
        "low_coolant_temperature",
    ),
    39426: (
        "under_speed",
        "over_speed",
        "generator_under_frequency",
        "generator_over_frequency",
    ),
    39427: (
        "generator_low_voltage",
        "generator_high_voltage",
        "battery_low_voltage",
        "battery_high_voltage",
    ),
    39428: (
        "charge_alternator_failure",
        "fail_to_start",
        "fail_to_stop",
        "generator_fail_to_close",
    ),
    39429: (
        "mains_fail_to_close",
        "oil_pressure_sender_fault",
        "loss_of_magnetic_pickup",
        "magnetic_pickup_open_circuit",
    ),
    39430: (
        "generator_high_current",
        "calibration_lost",
        "low_fuel_level",
        "can_ecu_warning",
    ),
    39431: (
        "can_ecu_shutdown",
        "can_ecu_data_fail",
        "low_oil_level_switch",
        "high_temperature_switch",
    ),
    39432: (
        "low_fuel_level_switch",
        "expansion_unit_watchdog",
        "kw_overload",
        "negative_phase_sequence",
    ),
}


@pytest.mark.parametrize("register", sorted(PAGE_154_ROWS))
def test_named_alarm_slots_match_the_page_154_table(register: int) -> None:
    first = 4 * (register - 39425)
    assert dse.NAMED_ALARMS[first : first + 4] == PAGE_154_ROWS[register]


def test_low_fuel_level_warning_sits_in_bits_7_to_4_of_39430() -> None:
    words = [0x1111] * 8
    words[39430 - 39425] = 0x1121
    codes = decode_nibbles(words, 32)
    raised = [dse.NAMED_ALARMS[i] for i, code in enumerate(codes) if code != 1]
    assert raised == ["low_fuel_level"]


@pytest.mark.parametrize(
    ("code", "condition", "active", "stops"),
    [
        (0, AlarmCondition.DISABLED, False, False),
        (1, AlarmCondition.NOT_ACTIVE, False, False),
        (2, AlarmCondition.WARNING, True, False),
        (3, AlarmCondition.SHUTDOWN, True, True),
        (4, AlarmCondition.ELECTRICAL_TRIP, True, True),
        (5, AlarmCondition.CONTROLLED_SHUTDOWN, True, True),
        (6, AlarmCondition.UNIMPLEMENTED, False, False),  # reserved
        (8, AlarmCondition.INACTIVE_INDICATION, False, False),
        (10, AlarmCondition.ACTIVE_INDICATION, True, False),
        (12, AlarmCondition.UNIMPLEMENTED, False, False),  # reserved
        (15, AlarmCondition.UNIMPLEMENTED, False, False),
    ],
)
def test_alarm_condition_codes(
    code: int, condition: AlarmCondition, active: bool, stops: bool
) -> None:
    decoded = AlarmCondition.from_code(code)
    assert decoded is condition
    assert decoded.active is active
    assert decoded.stops_engine is stops


# Section 7: 4096-4103, function n is bit 15 - n % 16 of word n // 16.
@pytest.mark.parametrize(
    ("words", "functions"),
    [
        ([0xC000, 0, 0, 0, 0, 0, 0, 0], {0, 1}),
        ([0x0080, 0, 0, 0, 0, 0, 0, 0], {8}),
        ([0, 0, 0xC000, 0, 0, 0, 0, 0], {32, 33}),
        ([0x0001, 0, 0, 0, 0, 0, 0, 0x0001], {15, 127}),
        ([0, 0, 0, 0, 0, 0, 0, 0], set()),
    ],
)
def test_supported_functions_map(words: list[int], functions: set[int]) -> None:
    assert dse.supported_functions(words) == functions
    assert dse.supported_function_words(functions) == words


def test_select_auto_control_words_match_the_documented_frame() -> None:
    assert dse.control_words(dse.ControlKey.SELECT_AUTO) == [35701, 29834]
    assert dse.control_words(dse.ControlKey.SELECT_AUTO) == [0x8B75, 0x748A]
    # Slave 10, FC16, address, two registers, four bytes, then the words.
    words = dse.control_words(dse.ControlKey.SELECT_AUTO)
    frame = bytes([10, 16]) + dse.CONTROL_KEY_ADDRESS.to_bytes(2) + bytes([0, 2, 4])
    frame += b"".join(word.to_bytes(2) for word in words)
    assert frame == bytes.fromhex("0A 10 10 08 00 02 04 8B 75 74 8A")


@pytest.mark.parametrize(
    ("key", "words"),
    [
        (dse.ControlKey.SELECT_STOP, [35700, 29835]),
        (dse.ControlKey.START_ENGINE, [35705, 29830]),
        (dse.ControlKey.TRANSFER_TO_GENERATOR, [35708, 29827]),
        (dse.ControlKey.TRANSFER_TO_MAINS, [35709, 29826]),
        (dse.ControlKey.TELEMETRY_START, [35732, 29803]),
        (dse.ControlKey.CANCEL_TELEMETRY_START, [35733, 29802]),
    ],
)
def test_control_keys_and_complements(key: dse.ControlKey, words: list[int]) -> None:
    assert dse.control_words(key) == words
    assert dse.key_from_words(words) is key


@pytest.mark.parametrize(
    "words",
    [
        [0x8B75, 0x748B],  # complement off by one
        [0x8B75, 0x8B75],  # key twice
        [35700 + 99, 65535 - 35799],  # a key no one defined
        [1, 0xFFFE],  # correct complement, far below the key range
        [0x8B75],  # only half of the write
        [0x8B75, 0x748A, 0],  # one word too many
    ],
)
def test_key_from_words_rejects_what_a_controller_refuses(words: list[int]) -> None:
    assert dse.key_from_words(words) is None


@pytest.mark.parametrize(
    ("code", "name", "mk2"),
    [
        (32841, "DSE7320 MKII", True),
        (32840, "DSE7310 MKII", True),
        (32832, "DSE8610 MKII", True),
        (32807, "DSE4520 MKII", True),
        (32859, "DSE6120 MKIII", True),
        (7320, "DSE7320", False),
        (5220, "DSE5220", False),
        (32999, "DSE model 32999", True),
    ],
)
def test_model_names(code: int, name: str, mk2: bool) -> None:
    assert dse.model_name(code) == name
    assert dse.is_mk2(code) is mk2


@pytest.mark.parametrize(
    ("code", "address", "count"),
    [
        (32841, 39424, 21),  # 73xx MKII: 20 alarm registers, 39424..39444
        (32846, 39424, 21),  # 74xx MKII: 20
        (32832, 39424, 40),  # 8xxx: 39
        (32807, 39424, 12),  # 45xx MKII: 11
        (7320, 2048, 12),  # MK I: page 8, 43 named slots in 11 registers
    ],
)
def test_alarm_block_per_family(code: int, address: int, count: int) -> None:
    block = dse.alarm_block(code)
    assert (block.address, block.count) == (address, count)


def test_legacy_alarm_list_starts_as_documented() -> None:
    assert dse.LEGACY_ALARMS[:3] == (
        "emergency_stop",
        "low_oil_pressure",
        "high_coolant_temperature",
    )
    assert dse.alarm_names(7320) == dse.LEGACY_ALARMS


def test_identity_block_is_768_to_771() -> None:
    assert (dse.IDENTITY_BLOCK.address, dse.IDENTITY_BLOCK.count) == (768, 4)
    values = decode_block(
        dse.IDENTITY_SPECS, dse.IDENTITY_BLOCK, [0x0001, 0x8049, 0x0001, 0xE240]
    )
    assert values == {
        "manufacturer_code": 1,
        "model_code": 32841,
        "serial_number": 123456,
    }


def _page(address: int) -> int:
    return address // dse.GENCOMM_PAGE_SIZE


@pytest.mark.parametrize("model", [32841, 32832, 32807, 7320])
def test_full_poll_is_at_most_four_requests_within_pages(model: int) -> None:
    plan = dse.read_plan(model)
    full_poll = plan.status + plan.instruments
    assert len(full_poll) <= 4
    for block in (*full_poll, *plan.totals):
        assert 1 <= block.count <= 125, block
        assert _page(block.address) == _page(block.end - 1), block
        assert block.function == 3


@pytest.mark.parametrize("model", [32841, 32832, 32807, 7320])
def test_every_value_is_read_by_exactly_one_planned_block(model: int) -> None:
    plan = dse.read_plan(model)
    blocks: list[Block] = [*plan.status, *plan.instruments, *plan.totals]
    for spec in dse.ALL_VALUE_SPECS:
        covering = [block.name for block in blocks if block.covers(spec)]
        assert len(covering) == 1, (spec.key, covering)


def test_full_poll_reads_status_engine_instruments_and_alarms() -> None:
    plan = dse.read_plan(32841)
    reads = {(b.address, b.count) for b in plan.status + plan.instruments}
    # 772..774 mode and flags, 1408 engine state, page 4, page 154.
    assert reads == {(772, 3), (1408, 1), (1024, 66), (39424, 21)}


def test_fast_cycle_reads_the_mains_as_a_whole_part_of_page_4() -> None:
    plan = dse.read_plan(32841)
    (mains,) = plan.mains
    # 1059 frequency, 1060-1065 L1-N..L3-N: seven registers, no torn value.
    assert (mains.address, mains.count, mains.function) == (1059, 7, 3)
    inside = [spec.key for spec in dse.ALL_VALUE_SPECS if mains.covers(spec)]
    assert inside == [spec.key for spec in dse.MAINS_SENSING_SPECS]
    assert {spec.key for spec in dse.MAINS_SENSING_SPECS} == {
        "mains_frequency",
        "mains_voltage_l1_n",
        "mains_voltage_l2_n",
        "mains_voltage_l3_n",
    }
    assert mains.end == max(spec.end for spec in dse.MAINS_SENSING_SPECS)
    # Page 4 holds them all, so a full poll need not read the block too.
    assert all(dse.INSTRUMENT_BLOCK.covers(s) for s in dse.MAINS_SENSING_SPECS)
    assert len(plan.status + plan.mains) == 3


def test_block_covers_only_whole_values() -> None:
    spec = RegisterSpec("v", 1032, words=2)
    assert Block("a", 1024, 10).covers(spec)
    assert not Block("b", 1024, 9).covers(spec)  # would tear the 32-bit value
    assert not Block("c", 1033, 5).covers(spec)
