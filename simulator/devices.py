"""The site's Modbus devices as register images over the model.

Each device answers reads and writes by function code and address with words
(or bits) or a Modbus exception code. The register maps come from the shared
profiles in custom_components/sot_point/hardware/profiles: nothing here says
which address holds what, it only supplies the values.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Protocol

from custom_components.sot_point.hardware.profiles import ats, dse_gencomm
from custom_components.sot_point.hardware.profiles.generic_io import (
    FUNCTION_COILS,
    FUNCTION_HOLDING,
    FUNCTION_INPUT,
    RelayKind,
    current_for_fraction,
)
from custom_components.sot_point.hardware.registers import (
    Block,
    RegisterSpec,
    Unavailable,
    Value,
    block_for,
    decode_block,
    encode_values,
)
from custom_components.sot_point.hardware.state import TransferPosition

from .config import PHASES
from .controller import AUTO_MODES, SUPPORTED_KEYS, KeyResult
from .site import Site

FUNCTION_WRITE_COIL = 5
FUNCTION_WRITE_REGISTER = 6
FUNCTION_WRITE_COILS = 15
FUNCTION_WRITE_REGISTERS = 16
READ_FUNCTIONS = frozenset({1, 2, 3, 4})

# GenComm: unimplemented registers inside a served block read 0xFFFF.
GENCOMM_GAP = 0xFFFF
# Assumption: the ATyS map is not GenComm; its unlisted registers read 0.
ATS_GAP = 0x0000
# Assumption: a source counts as present from this phase voltage on.
_PRESENT_V = 100.0


class ModbusError(IntEnum):
    """Exception codes the devices answer with (standard and GenComm)."""

    ILLEGAL_FUNCTION = 1
    ILLEGAL_ADDRESS = 2
    ILLEGAL_VALUE = 3
    DEVICE_BUSY = 6
    # GenComm extended codes.
    GENCOMM_ILLEGAL_VALUE = 7
    GENCOMM_INAPPROPRIATE = 8
    GATEWAY_NO_RESPONSE = 11


type ReadResult = list[int] | list[bool] | ModbusError


@dataclass(frozen=True, slots=True)
class ServedRange:
    """One run of addresses a device answers, for the banner and docs."""

    label: str
    function: int
    address: int
    count: int

    @property
    def end(self) -> int:
        """The last address served."""
        return self.address + self.count - 1


class Device(Protocol):
    """What the server needs from a simulated Modbus device."""

    name: str

    def read(self, function: int, address: int, count: int) -> ReadResult:
        """Words or bits at `address`, or the exception to answer with."""
        ...

    def write(
        self, function: int, address: int, values: Sequence[int] | Sequence[bool]
    ) -> ModbusError | None:
        """Apply a write; None when accepted."""
        ...

    def served(self) -> list[ServedRange]:
        """Every address range this device answers."""
        ...


def _read_words(
    image: dict[int, int], served: frozenset[int], address: int, count: int
) -> ReadResult:
    addresses = range(address, address + count)
    if not all(a in served for a in addresses):
        return ModbusError.ILLEGAL_ADDRESS
    return [image[a] for a in addresses]


def _addresses(blocks: Iterable[Block]) -> frozenset[int]:
    return frozenset(a for b in blocks for a in range(b.address, b.end))


class DseDevice:
    """A DSE 7320 MKII (or other GenComm model) over the site's controller."""

    name = "DSE AMF controller (GenComm)"

    def __init__(self, site: Site) -> None:
        """Serve `site`'s controller with its model's alarm page."""
        self.site = site
        model = site.config.model_code
        self._page3 = block_for(
            "identity_status",
            (*dse_gencomm.IDENTITY_SPECS, *dse_gencomm.STATUS_SPECS),
        )
        self._alarm_block = dse_gencomm.alarm_block(model)
        self._blocks: tuple[Block, ...] = (
            self._page3,
            dse_gencomm.INSTRUMENT_BLOCK,
            dse_gencomm.ENGINE_BLOCK,
            dse_gencomm.POWER_BLOCK,
            dse_gencomm.COUNTER_BLOCK,
            dse_gencomm.SUPPORTED_FUNCTIONS_BLOCK,
            self._alarm_block,
        )
        self._served = _addresses(self._blocks)
        self._specs: tuple[RegisterSpec, ...] = (
            *dse_gencomm.IDENTITY_SPECS,
            *dse_gencomm.ALL_VALUE_SPECS,
        )

    def served(self) -> list[ServedRange]:
        """Holding-register blocks (FC03) and the control registers (FC16)."""
        ranges = [ServedRange(b.name, 3, b.address, b.count) for b in self._blocks]
        ranges.append(
            ServedRange("control_key", 16, dse_gencomm.CONTROL_KEY_ADDRESS, 2)
        )
        return ranges

    def read(self, function: int, address: int, count: int) -> ReadResult:
        """FC03 only: GenComm defines no other read."""
        if function != FUNCTION_HOLDING:
            return ModbusError.ILLEGAL_FUNCTION
        return _read_words(self.image(), self._served, address, count)

    def write(
        self, function: int, address: int, values: Sequence[int] | Sequence[bool]
    ) -> ModbusError | None:
        """FC16 only: a control key at 4104, or page 7 (clock, timer, totals)."""
        if function != FUNCTION_WRITE_REGISTERS:
            return ModbusError.ILLEGAL_FUNCTION
        words = [int(v) for v in values]
        key_start = dse_gencomm.CONTROL_KEY_ADDRESS
        if address <= key_start + 1 and address + len(words) > key_start:
            return self._control(address, words)
        if _inside(dse_gencomm.COUNTER_BLOCK, address, len(words)):
            return self._write_counters(address, words)
        return ModbusError.ILLEGAL_ADDRESS

    def _control(self, address: int, words: list[int]) -> ModbusError | None:
        # The key and its complement must arrive together in one request.
        if address != dse_gencomm.CONTROL_KEY_ADDRESS:
            return ModbusError.GENCOMM_ILLEGAL_VALUE
        key = dse_gencomm.key_from_words(words)
        if key is None:
            return ModbusError.GENCOMM_ILLEGAL_VALUE
        result = self.site.press_key(key)
        if result is KeyResult.ACCEPTED:
            return None
        return ModbusError(int(result))

    def _write_counters(self, address: int, words: list[int]) -> ModbusError | None:
        block = Block("write", address, len(words))
        values = decode_block(dse_gencomm.COUNTER_SPECS, block, words)
        covered = {
            a
            for spec in dse_gencomm.COUNTER_SPECS
            if spec.key in values
            for a in range(spec.address, spec.end)
        }
        # Page 7 is writable (G129 p.41), but only whole values.
        if covered != set(range(address, address + len(words))):
            return ModbusError.ILLEGAL_ADDRESS
        if any(isinstance(value, Unavailable) for value in values.values()):
            return ModbusError.ILLEGAL_VALUE
        for key, value in values.items():
            self._set_page_7(key, float(value))
        return None

    def _set_page_7(self, key: str, value: float) -> None:
        site = self.site
        controller = site.controller
        counters = controller.counters
        if key == "controller_clock":
            controller.clock.set(site.now, value)
        elif key == "time_to_maintenance":
            controller.maintenance_due = site.now + value
        elif key == "maintenance_due_at":
            # 1796 reads as clock + timer, so a date is taken the same way.
            due_in = value - controller.clock.read(site.now)
            controller.maintenance_due = site.now + due_in
        elif key == "run_time":
            counters.run_seconds = value
        elif key == "energy_positive":
            counters.energy_kwh = value
        elif key == "number_of_starts":
            counters.starts = int(value)

    def image(self) -> dict[int, int]:
        """Every served register, gaps reading GenComm's "unimplemented"."""
        image = dict.fromkeys(self._served, GENCOMM_GAP)
        image.update(encode_values(self._specs, self.values()))
        supported = {int(k) for k in SUPPORTED_KEYS}
        words = dse_gencomm.supported_function_words(supported)
        _place(image, dse_gencomm.SUPPORTED_FUNCTIONS_ADDRESS, words)
        _place(
            image,
            self._alarm_block.address,
            self.site.controller.alarms.page_words(),
        )
        return image

    def values(self) -> dict[str, Value]:
        """Named values for the shared specs, from the model."""
        site = self.site
        controller = site.controller
        return {
            "manufacturer_code": dse_gencomm.MANUFACTURER_DSE,
            "model_code": site.config.model_code,
            "serial_number": site.config.serial_number,
            "control_mode": int(controller.mode),
            "status_flags": int(controller.alarms.status_flags()),
            "engine_state": int(controller.engine_state),
            **_engine_values(site),
            **_generator_values(site),
            **_mains_values(site),
            **_total_values(site),
        }


def _engine_values(site: Site) -> dict[str, Value]:
    engine = site.engine
    fuel: Value = round(site.tank.percent)
    if not site.config.controller_fuel_sensor:
        fuel = Unavailable.NOT_AVAILABLE
    return {
        "oil_pressure": round(engine.oil_pressure_kpa),
        "coolant_temperature": round(engine.coolant_c),
        "oil_temperature": round(engine.oil_temperature_c),
        "fuel_level": fuel,
        "charge_alternator_voltage": engine.charge_alternator_voltage,
        "battery_voltage": engine.battery_voltage,
        "engine_speed": round(engine.speed),
        "generator_frequency": engine.generator_frequency,
    }


def _line_to_line(phase_voltages: Sequence[float]) -> list[float]:
    # Assumption: a balanced set 120° apart, so L-L = √3 x the two phases' mean.
    return [
        3**0.5 * (phase_voltages[i] + phase_voltages[(i + 1) % PHASES]) / 2
        for i in range(PHASES)
    ]


def _generator_values(site: Site) -> dict[str, Value]:
    voltages = site.generator_voltages()
    electrical = site.electrical()
    on_load = site.controller.on_load
    values: dict[str, Value] = {"generator_earth_current": 0.0}
    pairs = ("l1_l2", "l2_l3", "l3_l1")
    for i, (volts, line) in enumerate(
        zip(voltages, _line_to_line(voltages), strict=True)
    ):
        n = i + 1
        values[f"generator_voltage_l{n}_n"] = volts
        values[f"generator_voltage_{pairs[i]}"] = line
        values[f"generator_current_l{n}"] = electrical.currents_a[i] if on_load else 0.0
        values[f"generator_power_l{n}"] = round(electrical.loads_w[i]) if on_load else 0
    return values


def _mains_values(site: Site) -> dict[str, Value]:
    electrical = site.electrical()
    on_mains = site.controller.switch.position is TransferPosition.MAINS
    values: dict[str, Value] = {"mains_frequency": site.mains.frequency}
    for i, volts in enumerate(site.mains.voltages):
        n = i + 1
        values[f"mains_voltage_l{n}_n"] = volts
        values[f"mains_current_l{n}"] = electrical.currents_a[i] if on_mains else 0.0
        values[f"mains_power_l{n}"] = round(electrical.loads_w[i]) if on_mains else 0
    return values


def _total_values(site: Site) -> dict[str, Value]:
    kw = site.generator_kw()
    counters = site.controller.counters
    return {
        **_clock_values(site),
        "generator_total_power": round(kw * 1000),
        "load_percent": 100.0 * kw / site.config.engine.rated_kw,
        "run_time": int(counters.run_seconds),
        "energy_positive": counters.energy_kwh,
        "energy_negative": 0.0,
        "number_of_starts": counters.starts,
    }


def _clock_values(site: Site) -> dict[str, Value]:
    controller = site.controller
    if not site.config.controller_clock:
        return dict.fromkeys(
            ("controller_clock", "time_to_maintenance", "maintenance_due_at"),
            Unavailable.NOT_AVAILABLE,
        )
    clock = controller.clock.read(site.now)
    due_in = round(controller.time_to_maintenance(site.now))
    return {
        "controller_clock": clock,
        "time_to_maintenance": due_in,
        "maintenance_due_at": clock + due_in,
    }


def _place(image: dict[int, int], address: int, words: Sequence[int]) -> None:
    for offset, word in enumerate(words):
        image[address + offset] = word


def _inside(block: Block, address: int, count: int) -> bool:
    return block.address <= address and address + count <= block.end


class IoDevice:
    """The technician's I/O module: tank loop, room sensor, heater relay."""

    name = "I/O module (tank 4-20 mA, room temperature, heater relay)"

    def __init__(self, site: Site) -> None:
        """Serve the addresses `site.config.io` names."""
        self.site = site
        self.config = site.config.io

    def served(self) -> list[ServedRange]:
        """Input registers and the relay, as configured."""
        ranges = []
        level = self.config.level_spec()
        if level is not None:
            ranges.append(
                ServedRange("tank_level_uA", FUNCTION_INPUT, level.address, 1)
            )
        temperature = self.config.temperature_spec()
        if temperature is not None:
            ranges.append(
                ServedRange("room_temperature", FUNCTION_INPUT, temperature.address, 1)
            )
        relay = self.config.relay_block()
        if relay is not None:
            write = (
                FUNCTION_WRITE_COIL
                if relay.function == FUNCTION_COILS
                else FUNCTION_WRITE_REGISTER
            )
            ranges.append(ServedRange("heater_relay", relay.function, relay.address, 1))
            ranges.append(ServedRange("heater_relay", write, relay.address, 1))
        return ranges

    def loop_current_ma(self) -> float:
        """What the tank transmitter drives into the loop now."""
        if self.site.tank_sensor_ma is not None:
            return self.site.tank_sensor_ma
        return current_for_fraction(self.site.tank.fraction, self.config)

    def inputs(self) -> dict[int, int]:
        """Input registers by address."""
        values: dict[str, Value] = {}
        specs = []
        level = self.config.level_spec()
        if level is not None:
            specs.append(level)
            values[level.key] = round(
                self.loop_current_ma() * self.config.level_raw_per_ma
            )
        temperature = self.config.temperature_spec()
        if temperature is not None:
            specs.append(temperature)
            values[temperature.key] = self.site.room.temperature_c
        return encode_values(specs, values)

    def read(self, function: int, address: int, count: int) -> ReadResult:
        """FC04 inputs; the relay as FC01 coil or FC03 register."""
        relay = self.config.relay_block()
        if function == FUNCTION_INPUT:
            inputs = self.inputs()
            return _read_words(inputs, frozenset(inputs), address, count)
        if relay is not None and function == relay.function:
            if address != relay.address or count != 1:
                return ModbusError.ILLEGAL_ADDRESS
            on = self.site.heater_relay
            return [on] if function == FUNCTION_COILS else [int(on)]
        if function in READ_FUNCTIONS:
            return ModbusError.ILLEGAL_ADDRESS
        return ModbusError.ILLEGAL_FUNCTION

    def write(
        self, function: int, address: int, values: Sequence[int] | Sequence[bool]
    ) -> ModbusError | None:
        """Switch the relay: FC05/FC15 for a coil, FC06/FC16 for a register."""
        kind = self.config.relay_kind
        allowed = {
            RelayKind.COIL: (FUNCTION_WRITE_COIL, FUNCTION_WRITE_COILS),
            RelayKind.HOLDING_REGISTER: (
                FUNCTION_WRITE_REGISTER,
                FUNCTION_WRITE_REGISTERS,
            ),
        }
        if kind is None or function not in allowed[kind]:
            return ModbusError.ILLEGAL_FUNCTION
        if address != self.config.relay_address or len(values) != 1:
            return ModbusError.ILLEGAL_ADDRESS
        value = int(values[0])
        if value not in (0, 1):
            return ModbusError.ILLEGAL_VALUE
        self.site.set_heater(bool(value))
        return None


class AtsDevice:
    """A Socomec ATyS pM-style view of the same changeover."""

    name = "ATS (Socomec ATyS pM map)"

    def __init__(self, site: Site) -> None:
        """Serve the status block and the "SOCO" identification."""
        self.site = site
        self._ident = Block("ident", ats.IDENT_ADDRESS, len(ats.ident_words()))
        self._blocks = (ats.STATUS_BLOCK, self._ident)
        self._served = _addresses(self._blocks)
        self._position_codes = {pos: code for code, pos in ats.POSITIONS.items()}

    def served(self) -> list[ServedRange]:
        """Status block and identification, FC03."""
        return [ServedRange(b.name, 3, b.address, b.count) for b in self._blocks]

    def values(self) -> dict[str, Value]:
        """Named status values for the shared specs."""
        site = self.site
        controller = site.controller
        inputs = site.inputs()
        mains_live = any(v > _PRESENT_V for v in site.mains.voltages)
        generator_live = any(v > _PRESENT_V for v in site.generator_voltages())
        return {
            "network": ats.NETWORK_230_400,
            "mode": ats.MODE_AUTO if controller.mode in AUTO_MODES else ats.MODE_MANUAL,
            "position": self._position_codes[controller.switch.position],
            "source1_state": _source_state(inputs.mains_ok, mains_live),
            "source2_state": _source_state(inputs.generator_ok, generator_live),
        }

    def read(self, function: int, address: int, count: int) -> ReadResult:
        """FC03 only."""
        if function != FUNCTION_HOLDING:
            return ModbusError.ILLEGAL_FUNCTION
        image = dict.fromkeys(self._served, ATS_GAP)
        image.update(encode_values(ats.STATUS_SPECS, self.values()))
        _place(image, ats.IDENT_ADDRESS, ats.ident_words())
        return _read_words(image, self._served, address, count)

    def write(
        self, function: int, address: int, values: Sequence[int] | Sequence[bool]
    ) -> ModbusError | None:
        """Read-only here: remote control of the ATS is not simulated."""
        del function, address, values
        return ModbusError.ILLEGAL_ADDRESS


def _source_state(available: bool, live: bool) -> int:
    if available:
        return ats.SOURCE_AVAILABLE
    if live:
        return ats.SOURCE_PRESENT
    return ats.SOURCE_BELOW_THRESHOLD
