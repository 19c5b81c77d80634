"""The ComAp InteliLite profile against the words its Global Guides document."""

from __future__ import annotations

from custom_components.sot_point.hardware.profiles import comap_intelilite as comap
from custom_components.sot_point.hardware.registers import Unavailable
from custom_components.sot_point.hardware.state import AlarmCondition


def test_reserved_register_addresses_are_the_guides() -> None:
    assert comap.RTC_TIME_ADDRESS == 4200
    assert comap.RTC_DATE_ADDRESS == 4202
    assert comap.COMMAND_ARGUMENT_ADDRESS == 4207
    assert comap.COMMAND_CODE_ADDRESS == 4209
    assert comap.PASSWORD_ADDRESS == 4211
    assert comap.ALARM_COUNT_ADDRESS == 4214
    # Record n (1-based) at 4215 + 27 (n - 1): the 16th ends at 4646.
    last = comap.ALARM_RECORD_ADDRESS + 16 * comap.ALARM_RECORD_WORDS - 1
    assert last == 4646


def test_battery_voltage_example_reads_24_volts() -> None:
    # IL4 p. 191: "01 03 02 00 F0": 240 with one decimal is 24.0 V.
    assert comap.battery_voltage([0x00F0]) == 24.0
    assert comap.BATTERY_SPEC.address == 1053
    # 0xFFFF is no battery voltage on any configuration.
    assert comap.battery_voltage([0xFFFF]) is Unavailable.BAD_DATA


def test_command_packets_match_the_documented_table() -> None:
    start = comap.COMMANDS["engine_start"]
    # ILG p. 161: argument 01 FE 00 00, command code 00 01, one FC16 packet.
    assert comap.command_words(start) == [0x01FE, 0x0000, 0x0001]
    assert start.returns == 0x000001FF
    expected = {
        "engine_stop": (0x01, 0x02FD0000, 0x000002FE),
        "fault_reset": (0x01, 0x08F70000, 0x000008F8),
        "horn_reset": (0x01, 0x04FB0000, 0x000004FC),
        "gcb_on": (0x02, 0x11EF0000, 0x000011F0),
        "gcb_off": (0x02, 0x11F00000, 0x000011F1),
        "mcb_on": (0x02, 0x12EE0000, 0x000012EF),
        "mcb_off": (0x02, 0x12EF0000, 0x000012F0),
    }
    for name, (code, argument, returns) in expected.items():
        command = comap.COMMANDS[name]
        assert (int(command.code), command.argument, command.returns) == (
            code,
            argument,
            returns,
        )
        assert comap.command_from_words(comap.command_words(command)) == (
            name,
            command,
        )
    assert comap.command_from_words([0x01FE, 0x0000, 0x0002]) is None


def test_clock_is_bcd_and_identifies_the_family() -> None:
    words = comap.clock_words((2026, 3, 14, 15, 9, 26))
    assert words == [0x1509, 0x2600, 0x1403, 0x2600]
    assert comap.read_clock(words) == (2026, 3, 14, 15, 9, 26)
    assert comap.looks_like_comap(words, [0, 0, 3])
    # GenComm's "unimplemented" 0xFFFF is no BCD digit.
    assert not comap.looks_like_comap([0xFFFF] * 4, [0, 0, 0])
    # More than 16 alarm-list items is no ComAp.
    assert not comap.looks_like_comap(words, [0, 0, 17])


def test_alarm_record_level_status_and_utf8_text() -> None:
    record = comap.AlarmRecord(
        level=2, active=True, confirmed=False, text="Sd Oil Press"
    )
    words = comap.encode_record(record)
    assert len(words) == 27
    # MSB2 = level 2 (red), LSB2 = status bit 0 (active).
    assert words[1] == 0x0201
    assert words[2] == int.from_bytes(b"Sd", "big")
    assert comap.decode_record(words) == record
    assert record.condition is AlarmCondition.SHUTDOWN
    warning = comap.AlarmRecord(1, True, True, "Wrn Batt Volt")
    assert warning.condition is AlarmCondition.WARNING
    gone = comap.AlarmRecord(2, False, False, "Sd Oil Press")
    assert gone.condition is AlarmCondition.NOT_ACTIVE
    assert comap.decode_record(comap.encode_record(warning)).text == "Wrn Batt Volt"


def test_alarm_list_is_read_in_blocks_of_at_most_125() -> None:
    assert [b.count for b in comap.alarm_blocks(0)] == [1]
    assert [b.count for b in comap.alarm_blocks(4)] == [109]
    blocks = comap.alarm_blocks(16)
    assert [b.count for b in blocks] == [109, 108, 108, 108]
    assert all(b.count <= 125 for b in blocks)
    assert blocks[1].address == comap.ALARM_RECORD_ADDRESS + 4 * 27
    records = [comap.AlarmRecord(1, True, False, f"Wrn {n}") for n in range(6)]
    words = [6] + [w for r in records for w in comap.encode_record(r)]
    assert [r.text for r in comap.decode_alarm_list(words)] == [
        f"Wrn {n}" for n in range(6)
    ]
