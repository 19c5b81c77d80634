"""The site's controller as a ComAp InteliLite or a SmartGen HGM sees the wire.

The controller model (modes, start/stop sequence, alarms) is the same AMF
logic the DSE device serves; only the register image and the commands
differ, and both come from the shared profiles in
custom_components/sot_point/hardware/profiles. `use_family` swaps the
device at the controller's unit id, so every scenario and fault works for
every family.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from custom_components.sot_point.hardware.families import ControllerFamily
from custom_components.sot_point.hardware.profiles import (
    comap_intelilite as comap,
    smartgen_hgm as smartgen,
)
from custom_components.sot_point.hardware.profiles.dse_gencomm import ControlKey
from custom_components.sot_point.hardware.registers import Unavailable, Value
from custom_components.sot_point.hardware.state import AlarmCondition, TransferPosition

from .controller import KeyResult
from .devices import (
    FUNCTION_WRITE_COIL,
    FUNCTION_WRITE_REGISTERS,
    Device,
    DseDevice,
    ModbusError,
    ReadResult,
    ServedRange,
    _engine_values,
    _generator_values,
    _mains_values,
)
from .server import SimulatedSite
from .site import Site

FUNCTION_READ_COILS = 1
FUNCTION_HOLDING = 3
FUNCTION_READ_INPUT = 4

# What the simulated AMF controller's engine phases read as on a SmartGen
# (the inverse of the profile's GENERATOR_STATUS, one code per state).
_SMARTGEN_STATUS = {
    "STOPPED": 0,
    "PRE_START": 3,
    "WARMING_UP": 5,
    "RUNNING": 9,
    "COOLING_DOWN": 10,
    "AT_REST": 0,
    "POST_RUN": 13,
    "NOT_AVAILABLE": 0,
}
# SmartGen remote coils as the keys the controller model understands.
_SMARTGEN_KEYS: dict[int, ControlKey] = {
    smartgen.REMOTE_START: ControlKey.START_ENGINE,
    smartgen.REMOTE_STOP: ControlKey.SELECT_STOP,
    smartgen.REMOTE_TEST_MODE: ControlKey.SELECT_TEST_ON_LOAD,
    smartgen.REMOTE_AUTO_MODE: ControlKey.SELECT_AUTO,
    smartgen.REMOTE_MANUAL_MODE: ControlKey.SELECT_MANUAL,
}
# Coil per (alarm name, condition) the model raises.
_SMARTGEN_ALARM_COIL = {
    (name, condition): coil for coil, (name, condition) in smartgen.ALARM_COILS.items()
}
# A FC05 "ON" is 0xFF00; pymodbus hands the datastore True.
_ON = 0xFF00


class SmartGenDevice:
    """A SmartGen HGM6120N over the site's controller."""

    name = "SmartGen HGM6120N (SmartGen protocol)"

    def __init__(self, site: Site) -> None:
        """Serve `site`'s controller."""
        self.site = site
        self._blocks = (smartgen.MEASUREMENT_BLOCK, smartgen.STATUS_BLOCK)
        self._served = frozenset(
            a for b in self._blocks for a in range(b.address, b.end)
        )
        # (function, address) of every write that came, accepted or not:
        # the server's log has no function code, and a test must tell a
        # remote-coil press (FC05) from a register write to the same address.
        self.writes: list[tuple[int, int]] = []

    def served(self) -> list[ServedRange]:
        """Holding registers (FC03), status coils (FC01), remote coils (FC05)."""
        ranges = [ServedRange(b.name, 3, b.address, b.count) for b in self._blocks]
        coils = smartgen.COIL_BLOCK
        ranges.append(ServedRange("coils", 1, coils.address, coils.count))
        ranges.append(ServedRange("remote_control", 5, 0, len(smartgen.REMOTE_COILS)))
        return ranges

    def read(self, function: int, address: int, count: int) -> ReadResult:
        """FC03 registers and FC01 coils."""
        if function == FUNCTION_READ_COILS:
            coils = self.coils()
            if address + count > len(coils):
                return ModbusError.ILLEGAL_ADDRESS
            return [bool(c) for c in coils[address : address + count]]
        if function != FUNCTION_HOLDING:
            return ModbusError.ILLEGAL_FUNCTION
        addresses = range(address, address + count)
        if not all(a in self._served for a in addresses):
            return ModbusError.ILLEGAL_ADDRESS
        image = self.image()
        return [image.get(a, 0) for a in addresses]

    def write(
        self, function: int, address: int, values: Sequence[int] | Sequence[bool]
    ) -> ModbusError | None:
        """FC05 remote coils: a press on ON, nothing on OFF."""
        self.writes.append((function, address))
        if function != FUNCTION_WRITE_COIL:
            return ModbusError.ILLEGAL_FUNCTION
        if address not in _SMARTGEN_KEYS or len(values) != 1:
            return ModbusError.ILLEGAL_ADDRESS
        if int(values[0]) not in (1, _ON):
            return None
        result = self.site.press_key(_SMARTGEN_KEYS[address])
        if result is KeyResult.ACCEPTED:
            return None
        # SmartGen documents no refusal code; a press that does nothing is
        # still a valid request, so it answers like any accepted write.
        return None

    def values(self) -> dict[str, Value]:
        """Named values for the profile's specs, from the model."""
        site = self.site
        controller = site.controller
        engine = _engine_values(site)
        generator = _generator_values(site)
        mains = _mains_values(site)
        keep = {spec.key for spec in smartgen.MEASUREMENT_SPECS}
        values: dict[str, Value] = {
            k: v for k, v in (engine | generator | mains).items() if k in keep
        }
        values["oil_pressure"] = engine["oil_pressure"]
        values["generator_total_power"] = round(site.generator_kw() * 10) * 100
        values["generator_status"] = _SMARTGEN_STATUS[controller.engine_state.name]
        counters = controller.counters
        values |= smartgen.run_time_words(int(counters.run_seconds))
        values["number_of_starts"] = counters.starts
        values["energy_positive"] = round(counters.energy_kwh)
        values["software_version"] = 100
        return values

    def image(self) -> dict[int, int]:
        """Every served register."""
        return smartgen.encode(self.values())

    def coils(self) -> list[int]:
        """The status coils: mode, alarms, which side feeds the load."""
        controller = self.site.controller
        alarms: dict[int, bool] = {}
        for name, condition in controller.alarms.codes.items():
            shown = (
                AlarmCondition.SHUTDOWN
                if condition.stops_engine
                else AlarmCondition.WARNING
            )
            coil = _SMARTGEN_ALARM_COIL.get((name, shown))
            if coil is not None and condition.active:
                alarms[coil] = True
        position = controller.switch.position
        return smartgen.coils_for(
            controller.mode,
            alarms,
            mains_on_load=position is TransferPosition.MAINS,
            generator_on_load=position is TransferPosition.GENERATOR,
        )


class ComApDevice:
    """A ComAp InteliLite 4 AMF25 over the site's controller (reserved map)."""

    name = "ComAp InteliLite 4 AMF25 (reserved registers)"

    def served(self) -> list[ServedRange]:
        """The reserved registers, the battery and the command registers."""
        return [
            ServedRange("battery", 3, comap.BATTERY_BLOCK.address, 1),
            ServedRange("reserved", 3, comap.RTC_TIME_ADDRESS, 4),
            ServedRange(
                "alarm_list",
                3,
                comap.COMMUNICATION_STATUS_ADDRESS,
                3 + comap.ALARM_RECORDS * comap.ALARM_RECORD_WORDS,
            ),
            ServedRange("command", 16, comap.COMMAND_ARGUMENT_ADDRESS, 3),
        ]

    def __init__(self, site: Site) -> None:
        """Serve `site`'s controller."""
        self.site = site
        self._served = frozenset(
            a
            for r in self.served()
            if r.function == FUNCTION_HOLDING
            for a in range(r.address, r.end + 1)
        )
        self.last_command: str | None = None

    def read(self, function: int, address: int, count: int) -> ReadResult:
        """FC03 and FC04 alike (IL4 p. 191: "Allowed Modbus functions: 03, 04")."""
        if function not in (FUNCTION_HOLDING, FUNCTION_READ_INPUT):
            return ModbusError.ILLEGAL_FUNCTION
        addresses = range(address, address + count)
        if not all(a in self._served for a in addresses):
            return ModbusError.ILLEGAL_ADDRESS
        image = self.image()
        return [image.get(a, 0) for a in addresses]

    def write(
        self, function: int, address: int, values: Sequence[int] | Sequence[bool]
    ) -> ModbusError | None:
        """A documented command in one FC16 packet is taken down, not acted on.

        SOT Point does not command ComAp; the simulator records what came so
        a test can show that nothing did.
        """
        if function != FUNCTION_WRITE_REGISTERS:
            return ModbusError.ILLEGAL_FUNCTION
        found = comap.command_from_words([int(v) for v in values])
        if address != comap.COMMAND_ARGUMENT_ADDRESS or found is None:
            return ModbusError.ILLEGAL_ADDRESS
        self.last_command = found[0]
        return None

    def records(self) -> list[comap.AlarmRecord]:
        """The model's raised alarms as alarm-list items, in ComAp's words."""
        return [
            comap.AlarmRecord(
                level=2 if condition.stops_engine else 1,
                active=True,
                confirmed=False,
                text=_comap_text(name, condition.stops_engine),
            )
            for name, condition in self.site.controller.alarms.codes.items()
            if condition.active
        ][: comap.ALARM_RECORDS]

    def image(self) -> dict[int, int]:
        """The reserved registers and the battery voltage."""
        image: dict[int, int] = {}
        battery = _engine_values(self.site)["battery_voltage"]
        image[comap.BATTERY_BLOCK.address] = comap.BATTERY_SPEC.words_of(
            battery if not isinstance(battery, Unavailable) else 0
        )[0]
        when = datetime.fromtimestamp(
            self.site.controller.clock.read(self.site.now), UTC
        )
        clock = comap.clock_words(
            (when.year, when.month, when.day, when.hour, when.minute, when.second)
        )
        for offset, word in enumerate(clock):
            image[comap.RTC_TIME_ADDRESS + offset] = word
        records = self.records()
        image[comap.ALARM_COUNT_ADDRESS] = len(records)
        for i, record in enumerate(records):
            start = comap.ALARM_RECORD_ADDRESS + i * comap.ALARM_RECORD_WORDS
            for offset, word in enumerate(comap.encode_record(record)):
                image[start + offset] = word
        return image


def _comap_text(name: str, shutdown: bool) -> str:
    """ComAp's alarm-list style: "Sd" or "Wrn" and the protection's name."""
    words = name.replace("_", " ").title()
    return f"{'Sd' if shutdown else 'Wrn'} {words}"


def device_for(family: ControllerFamily, site: Site) -> Device:
    """The controller device of `family` over `site`."""
    if family is ControllerFamily.SMARTGEN:
        return SmartGenDevice(site)
    if family is ControllerFamily.COMAP:
        return ComApDevice(site)
    return DseDevice(site)


def use_family(sim: SimulatedSite, family: ControllerFamily | str) -> None:
    """Serve the controller's unit id as `family` (the server reads the dict)."""
    unit = sim.site.config.units.dse
    sim.devices[unit] = device_for(ControllerFamily(family), sim.site)
