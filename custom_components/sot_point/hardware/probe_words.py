"""The words `scripts/probe` prints, in English and Swedish.

The names of control modes, engine states, alarms and alarm conditions are
the integration's own (translations/<lang>.json, the same words the entities
show), read here as plain JSON so that the probe and Home Assistant never
name a thing differently. What only the probe says is in the tables below.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
import json
import locale
import os
from pathlib import Path
from typing import Any, Final, Literal

type Lang = Literal["en", "sv"]
LANGS: Final = ("en", "sv")
_TRANSLATIONS: Final = Path(__file__).resolve().parent.parent / "translations"

# Values read from the devices: (English, Swedish).
LABELS: Final[Mapping[str, tuple[str, str]]] = {
    "manufacturer_code": ("Manufacturer", "Tillverkare"),
    "model": ("Model", "Modell"),
    "serial_number": ("Serial number", "Serienummer"),
    "supported_functions": ("Control functions", "Styrfunktioner"),
    "control_mode": ("Control mode", "Styrläge"),
    "engine_state": ("Engine", "Motor"),
    "status_flags": ("Status flags", "Statusflaggor"),
    "oil_pressure": ("Oil pressure", "Oljetryck"),
    "coolant_temperature": ("Coolant temperature", "Kylvätsketemperatur"),
    "oil_temperature": ("Oil temperature", "Oljetemperatur"),
    "fuel_level": ("Fuel level", "Bränslenivå"),
    "charge_alternator_voltage": ("Charge alternator", "Laddgenerator"),
    "battery_voltage": ("Battery", "Batteri"),
    "engine_speed": ("Engine speed", "Varvtal"),
    "generator_frequency": ("Generator frequency", "Generatorns frekvens"),
    "generator_voltage_l1_n": ("Generator L1-N", "Generator L1-N"),
    "generator_voltage_l2_n": ("Generator L2-N", "Generator L2-N"),
    "generator_voltage_l3_n": ("Generator L3-N", "Generator L3-N"),
    "generator_voltage_l1_l2": ("Generator L1-L2", "Generator L1-L2"),
    "generator_voltage_l2_l3": ("Generator L2-L3", "Generator L2-L3"),
    "generator_voltage_l3_l1": ("Generator L3-L1", "Generator L3-L1"),
    "generator_current_l1": ("Generator current L1", "Generatorström L1"),
    "generator_current_l2": ("Generator current L2", "Generatorström L2"),
    "generator_current_l3": ("Generator current L3", "Generatorström L3"),
    "generator_earth_current": ("Generator earth current", "Generatorns jordström"),
    "generator_power_l1": ("Generator power L1", "Generatoreffekt L1"),
    "generator_power_l2": ("Generator power L2", "Generatoreffekt L2"),
    "generator_power_l3": ("Generator power L3", "Generatoreffekt L3"),
    "generator_total_power": ("Generator power", "Generatoreffekt"),
    "load_percent": ("Load", "Belastning"),
    "mains_frequency": ("Mains frequency", "Nätets frekvens"),
    "mains_voltage_l1_n": ("Mains L1-N", "Nät L1-N"),
    "mains_voltage_l2_n": ("Mains L2-N", "Nät L2-N"),
    "mains_voltage_l3_n": ("Mains L3-N", "Nät L3-N"),
    "mains_current_l1": ("Mains current L1", "Nätström L1"),
    "mains_current_l2": ("Mains current L2", "Nätström L2"),
    "mains_current_l3": ("Mains current L3", "Nätström L3"),
    "mains_power_l1": ("Mains power L1", "Näteffekt L1"),
    "mains_power_l2": ("Mains power L2", "Näteffekt L2"),
    "mains_power_l3": ("Mains power L3", "Näteffekt L3"),
    "controller_clock": ("Controller clock", "Styrenhetens klocka"),
    "time_to_maintenance": ("Time to maintenance", "Tid till service"),
    "maintenance_due_at": ("Maintenance due", "Service senast"),
    "run_time": ("Run time", "Drifttid"),
    "energy_positive": ("Energy delivered", "Levererad energi"),
    "energy_negative": ("Energy taken", "Mottagen energi"),
    "number_of_starts": ("Starts", "Antal starter"),
    "alarms": ("Alarms", "Larm"),
    "network": ("Network", "Nätsystem"),
    "mode": ("Switch mode", "Omkopplarens läge"),
    "position": ("Load fed from", "Lasten matas från"),
    "source1_state": ("Source 1 (mains)", "Källa 1 (elnät)"),
    "source2_state": ("Source 2 (generator)", "Källa 2 (reservkraft)"),
    "tank_level_raw": ("Tank level loop", "Tanknivå, slinga"),
    "room_temperature": ("Room temperature", "Rumstemperatur"),
    "relay": ("Heater relay", "Värmerelä"),
}
# Why a register holds no measurement (registers.Unavailable).
UNAVAILABLE: Final[Mapping[str, tuple[str, str]]] = {
    "not_available": ("not available", "inte tillgängligt"),
    "over_range": ("over range", "över mätområdet"),
    "under_range": ("under range", "under mätområdet"),
    "transducer_fault": ("transducer fault", "givarfel"),
    "bad_data": ("bad data", "felaktigt värde"),
    "high_digital_input": ("high digital input", "digital ingång hög"),
    "low_digital_input": ("low digital input", "digital ingång låg"),
    "reserved": ("reserved", "reserverat"),
}
# GenComm's system control functions (dse_gencomm.ControlKey).
FUNCTIONS: Final[Mapping[str, tuple[str, str]]] = {
    "select_stop": ("select Stop", "välj Stopp"),
    "select_auto": ("select Auto", "välj Auto"),
    "select_manual": ("select Manual", "välj Manuell"),
    "select_test_on_load": ("select Test on load", "välj Provkörning med last"),
    "select_auto_manual_restore": (
        "select Auto with manual restore",
        "välj Auto med manuell återgång",
    ),
    "start_engine": ("start engine", "starta motorn"),
    "mute_alarm": ("mute alarm", "tysta larm"),
    "reset_alarms_button": ("reset alarms", "återställ larm"),
    "transfer_to_generator": ("transfer to generator", "lägg över till generatorn"),
    "transfer_to_mains": ("transfer to mains", "lägg över till nätet"),
    "reset_mains_failure": ("reset mains failure", "återställ nätfel"),
    "telemetry_start": ("telemetry start", "fjärrstart"),
    "cancel_telemetry_start": ("cancel telemetry start", "avbryt fjärrstart"),
    "reset_alarm_codes": ("reset alarm codes", "återställ larmkoder"),
    "clear_telemetry_alarm_flag": (
        "clear telemetry alarm flag",
        "nollställ fjärrlarmflaggan",
    ),
}
# The control unit's status flags, register 774 (state.StatusFlag).
FLAGS: Final[Mapping[str, tuple[str, str]]] = {
    "controlled_shutdown": ("controlled shutdown", "kontrollerad avstängning"),
    "satellite_telemetry_alarm": (
        "satellite telemetry alarm",
        "satellitlarm för fjärrövervakning",
    ),
    "telemetry_alarm": ("telemetry alarm", "larm för fjärrövervakning"),
    "warning": ("warning", "varning"),
    "electrical_trip": ("electrical trip", "elektrisk utlösning"),
    "shutdown": ("shutdown", "avstängning"),
    "control_unit_failure": ("control unit failure", "fel i styrenheten"),
}
# The transfer switch's status words (profiles/ats.py); the load's position
# is named by the integration's own transfer_position sensor.
ATS: Final[Mapping[str, tuple[str, str]]] = {
    "127_230": ("127/230 V", "127/230 V"),
    "230_400": ("230/400 V", "230/400 V"),
    "manual": ("Manual", "Manuell"),
    "auto": ("Auto", "Auto"),
    "remote": ("Remote control", "Fjärrstyrd"),
    "inhibit": ("Inhibited", "Spärrad"),
    "below_threshold": ("below threshold", "under tröskeln"),
    "present": ("present", "finns"),
    "available": ("available", "tillgänglig"),
    "unknown": ("unknown", "okänt"),
}
# Why a 4-20 mA loop gives no level (generic_io.LoopFault, NAMUR NE 43).
LOOP_FAULTS: Final[Mapping[str, tuple[str, str]]] = {
    "wire_break": ("wire break", "kabelbrott"),
    "short_circuit": ("short circuit", "kortslutning"),
    "under_range": ("under range", "under mätområdet"),
    "over_range": ("over range", "över mätområdet"),
}
PHRASES: Final[Mapping[str, tuple[str, str]]] = {
    "at": (
        "{profile} at {endpoint}, unit {unit}",
        "{profile} på {endpoint}, enhet {unit}",
    ),
    "answered": ("Answered", "Svarade"),
    "no_answer": ("No answer", "Inget svar"),
    "none": ("none", "inga"),
    "no_alarms": ("no active alarms", "inga aktiva larm"),
    "on": ("on", "till"),
    "off": ("off", "från"),
    "unknown_code": ("unknown code {code}", "okänd kod {code}"),
    "hours": ("{value} h", "{value} tim"),
    "overdue": ("overdue by {value} h", "försenad {value} tim"),
    "loop": ("{raw} ({milliamps} mA)", "{raw} ({milliamps} mA)"),
    "loop_fault": (
        "{raw} ({milliamps} mA: {fault})",
        "{raw} ({milliamps} mA: {fault})",
    ),
    "named_code": ("{name} ({code})", "{name} ({code})"),
    # A generator alarm whose own name does not say it is the generator's.
    "generator_alarm": ("{name} (generator)", "{name} (generator)"),
    "missing": ("not read", "inte läst"),
    "watching": (
        "Reading every {seconds} s, showing what changes; Ctrl-C stops",
        "Läser om var {seconds} s och visar vad som ändras; Ctrl-C avslutar",
    ),
    "answers_again": ("Answers again", "Svarar igen"),
}


def default_lang() -> Lang:
    """Swedish when the locale says so (LC_ALL, LC_MESSAGES, LANG), else English."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            return "sv" if value.lower().startswith("sv") else "en"
    code = locale.getlocale()[0] or ""
    return "sv" if code.lower().startswith("sv") else "en"


def word(table: Mapping[str, tuple[str, str]], key: str, lang: Lang) -> str:
    """`key` from `table` in `lang`; the key itself, made readable, if absent."""
    words = table.get(key)
    if words is None:
        return key.replace("_", " ")
    return words[LANGS.index(lang)]


@cache
def _translations(lang: Lang) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (_TRANSLATIONS / f"{lang}.json").read_text(encoding="utf-8")
    )
    return data


def _entity(lang: Lang, platform: str, key: str) -> Mapping[str, Any]:
    entity: Mapping[str, Any] = (
        _translations(lang).get("entity", {}).get(platform, {}).get(key, {})
    )
    return entity


def state_name(lang: Lang, sensor: str, state: str) -> str:
    """A control mode's or engine state's name, as its sensor shows it."""
    states = _entity(lang, "sensor", sensor).get("state", {})
    return str(states.get(state, state.replace("_", " ")))


def alarm_name(lang: Lang, alarm: str) -> str:
    """A named alarm, as its binary sensor is called."""
    name = _entity(lang, "binary_sensor", f"alarm_{alarm}").get("name")
    return str(name) if name else alarm.replace("_", " ")


def condition_name(lang: Lang, condition: str) -> str:
    """An alarm condition (warning, shutdown, ...) in words."""
    entity = _entity(lang, "binary_sensor", "alarm_low_oil_pressure")
    states = entity.get("state_attributes", {}).get("condition", {}).get("state", {})
    return str(states.get(condition, condition.replace("_", " ")))
