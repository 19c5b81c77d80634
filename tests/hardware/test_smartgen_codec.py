"""The SmartGen HGM6100N profile against the words its protocol documents.

Hand-written values: each word below is what the HGM6100NC protocol's
register table (and genmon's HGM40x0 map) says the controller sends.
"""

from __future__ import annotations

from custom_components.sot_point.hardware.families import smartgen_coil
from custom_components.sot_point.hardware.profiles import smartgen_hgm as sg
from custom_components.sot_point.hardware.registers import Block, Unavailable
from custom_components.sot_point.hardware.state import (
    AlarmCondition,
    ControlMode,
    EngineState,
    StatusFlag,
)


def _words(count: int, **at: int) -> list[int]:
    words = [0] * count
    for address, word in at.items():
        words[int(address, 16)] = word
    return words


def test_every_measurement_register_decodes_at_its_documented_address() -> None:
    words = _words(
        sg.MEASUREMENT_BLOCK.count,
        **{
            "0x00": 231, "0x01": 229, "0x02": 230, "0x06": 500,
            "0x07": 232, "0x08": 233, "0x09": 234,
            "0x0a": 401, "0x0b": 402, "0x0c": 403, "0x0d": 499,
            "0x0e": 1234, "0x0f": 1235, "0x10": 1236,
            "0x11": 0xFFF6, "0x13": 350, "0x15": 76, "0x17": 1500,
            "0x18": 272, "0x19": 281, "0x1a": 123,
        },
    )  # fmt: skip
    values = sg.decode(sg.MEASUREMENT_BLOCK, words)
    assert values == {
        "mains_voltage_l1_n": 231,
        "mains_voltage_l2_n": 229,
        "mains_voltage_l3_n": 230,
        "mains_frequency": 50.0,
        "generator_voltage_l1_n": 232,
        "generator_voltage_l2_n": 233,
        "generator_voltage_l3_n": 234,
        "generator_voltage_l1_l2": 401,
        "generator_voltage_l2_l3": 402,
        "generator_voltage_l3_l1": 403,
        "generator_frequency": 49.9,
        "generator_current_l1": 123.4,
        "generator_current_l2": 123.5,
        "generator_current_l3": 123.6,
        "coolant_temperature": -10,
        "oil_pressure": 350,
        "fuel_level": 76,
        "engine_speed": 1500,
        "battery_voltage": 27.2,
        "charge_alternator_voltage": 28.1,
        "generator_total_power": 12300.0,
    }


def test_sender_sentinels_are_reasons_not_numbers() -> None:
    # 32767: no reading; 32766: an open-circuit sender (genmon's filters).
    words = _words(sg.MEASUREMENT_BLOCK.count, **{"0x11": 0x7FFF, "0x13": 0x7FFE})
    words[0x15] = 0x7FFF
    values = sg.decode(sg.MEASUREMENT_BLOCK, words)
    assert values["coolant_temperature"] is Unavailable.NOT_AVAILABLE
    assert values["oil_pressure"] is Unavailable.TRANSDUCER_FAULT
    assert values["fuel_level"] is Unavailable.NOT_AVAILABLE
    # A voltage word carries no sentinel: 32767 V is simply not a voltage.
    words = _words(sg.MEASUREMENT_BLOCK.count, **{"0x07": 0x7FFF})
    assert sg.decode(sg.MEASUREMENT_BLOCK, words)["generator_voltage_l1_n"] is (
        Unavailable.BAD_DATA
    )


def test_sentinels_encode_back_to_the_controllers_words() -> None:
    registers = sg.encode(
        {
            "coolant_temperature": Unavailable.NOT_AVAILABLE,
            "oil_pressure": Unavailable.TRANSDUCER_FAULT,
            "coolant_temperature_unused": 0,
        }
    )
    assert registers == {0x11: 0x7FFF, 0x13: 0x7FFE}


def test_status_block_engine_state_run_time_starts_energy_version() -> None:
    block = sg.STATUS_BLOCK
    assert (block.address, block.count) == (0x22, 17)
    words = [0] * block.count
    words[0x22 - 0x22] = 9  # normal running
    words[0x2A - 0x22], words[0x2B - 0x22] = 0x0001, 0x0002  # 65538 h
    words[0x2C - 0x22], words[0x2D - 0x22] = 7, 30
    words[0x2E - 0x22], words[0x2F - 0x22] = 0, 412
    words[0x30 - 0x22], words[0x31 - 0x22] = 0x0001, 0x86A0  # 100000 kWh
    words[0x32 - 0x22] = 105
    values = sg.decode(block, words)
    assert sg.engine_of(values["generator_status"]) is EngineState.RUNNING
    assert sg.run_time_seconds(values) == 65538 * 3600 + 7 * 60 + 30
    assert values["number_of_starts"] == 412
    assert values["energy_positive"] == 100000
    assert values["software_version"] == 105


def test_generator_status_table() -> None:
    expected = {
        0: EngineState.STOPPED,
        3: EngineState.PRE_START,
        5: EngineState.WARMING_UP,
        9: EngineState.RUNNING,
        10: EngineState.COOLING_DOWN,
        14: EngineState.POST_RUN,
    }
    for code, state in expected.items():
        assert sg.engine_of(code) is state
    # A code the table does not hold is unknown, never "stopped".
    assert sg.engine_of(15) is None
    assert sg.engine_of(Unavailable.BAD_DATA) is None


def test_mode_coils_one_set_is_the_mode_none_or_two_is_unknown() -> None:
    coils = [0] * sg.COIL_BLOCK.count
    assert sg.mode_of(coils) is None
    for coil, mode in {
        0x28: ControlMode.TEST_ON_LOAD,
        0x29: ControlMode.AUTO,
        0x2A: ControlMode.MANUAL,
        0x2B: ControlMode.STOP,
    }.items():
        coils = [0] * sg.COIL_BLOCK.count
        coils[coil] = 1
        assert sg.mode_of(coils) is mode
    coils[0x29] = 1
    assert sg.mode_of(coils) is None


def test_alarm_coils_name_the_alarm_with_the_worst_condition() -> None:
    coils = [0] * sg.COIL_BLOCK.count
    coils[0x19] = 1  # low oil pressure warning
    coils[0x13] = 1  # low oil pressure shutdown
    coils[0x1C] = 1  # low fuel level warning
    coils[0x02] = 1  # common shutdown
    alarms = {a.key: a.condition for a in sg.alarms_of(coils)}
    assert alarms["low_oil_pressure"] is AlarmCondition.SHUTDOWN
    assert alarms["low_fuel_level"] is AlarmCondition.WARNING
    assert alarms["emergency_stop"] is AlarmCondition.NOT_ACTIVE
    assert sg.flags_of(coils) == StatusFlag.SHUTDOWN
    documented = {
        0x08: "emergency_stop", 0x09: "over_speed", 0x0A: "under_speed",
        0x0C: "generator_over_frequency", 0x0D: "generator_under_frequency",
        0x0E: "generator_high_voltage", 0x0F: "generator_low_voltage",
        0x10: "generator_high_current", 0x11: "fail_to_start",
        0x12: "high_coolant_temperature", 0x13: "low_oil_pressure",
        0x18: "high_coolant_temperature", 0x19: "low_oil_pressure",
        0x1A: "generator_high_current", 0x1B: "fail_to_stop",
        0x1C: "low_fuel_level", 0x1D: "charge_alternator_failure",
        0x1E: "battery_low_voltage", 0x1F: "battery_high_voltage",
    }  # fmt: skip
    assert {coil: name for coil, (name, _) in sg.ALARM_COILS.items()} == documented


def test_coil_image_round_trips_through_the_decoders() -> None:
    coils = sg.coils_for(ControlMode.MANUAL, {0x1C: True}, generator_on_load=True)
    assert sg.mode_of(coils) is ControlMode.MANUAL
    assert sg.flags_of(coils) == StatusFlag.WARNING
    assert coils[sg.COIL_COMMON_ALARM] == 1
    assert coils[sg.COIL_GENERATOR_ON_LOAD] == 1


def test_remote_coils_are_the_documented_five() -> None:
    assert sg.REMOTE_START == 0
    assert sg.REMOTE_STOP == 1
    assert sg.MODE_OF_REMOTE == {
        2: ControlMode.TEST_ON_LOAD,
        3: ControlMode.AUTO,
        4: ControlMode.MANUAL,
    }
    assert smartgen_coil("start", ControlMode.MANUAL) == 0
    assert smartgen_coil("stop", ControlMode.AUTO) == 1
    assert smartgen_coil("select_auto", ControlMode.STOP) == 3
    # Undocumented for the HGM6100N: start in Auto, Stop mode, transfers,
    # alarm reset and mute.
    assert smartgen_coil("start", ControlMode.AUTO) is None
    for command in ("select_stop", "transfer_to_generator", "reset_alarms"):
        assert smartgen_coil(command, ControlMode.MANUAL) is None


def test_blocks_stay_inside_one_request() -> None:
    for block in (sg.MEASUREMENT_BLOCK, sg.STATUS_BLOCK):
        assert block.count <= 125
    assert Block("coils", 0, 0x2C, 1) == sg.COIL_BLOCK
