"""SMS in and out of Home Assistant through its `sms` integration and real gammu.

The modem is emulated (simulator.gsm_modem); the rest is what a SOT point
runs: notify.sms sends through gammu's AT commands, and an SMS that reaches
the modem becomes an `sms.incoming_sms` event an automation can trigger on.
"""

from __future__ import annotations

import os
import select

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant

from simulator.gsm_modem import GsmModem

from .conftest import Incoming, send_sms

ANNA = "+46701234567"
BERTIL = "+46709876543"
# GSM-7 has å, ä, ö, Å, Ä and Ö: this fits one SMS either way.
SWEDISH = "Strömavbrott på Åby skola. Svara START 4711 så går reservkraften."
# Not in GSM-7: an SMS with it comes as UCS-2.
EN_DASH = "\u2013"


def text_of(length: int) -> str:
    """A Swedish text of exactly `length` GSM-7 characters."""
    words = "Reservkraften på Åby går. Svara START 4711 eller STOPP. Hälsningar Åsa. "
    return (words * (length // len(words) + 1))[:length]


async def test_swedish_text_reaches_the_modem_exactly(
    hass: HomeAssistant, modem: GsmModem, sms_ready: ConfigEntry
) -> None:
    """Both ways notify.sms encodes it: as UCS-2 (its default) and as GSM-7."""
    await send_sms(hass, ANNA, SWEDISH)
    await send_sms(hass, BERTIL, SWEDISH, unicode=False)

    first, second = await modem.wait_sent(2)
    assert (first.number, first.text, first.unicode) == (ANNA, SWEDISH, True)
    assert (second.number, second.text, second.unicode) == (BERTIL, SWEDISH, False)
    assert first.segments == second.segments == 1
    assert first.at <= second.at


async def test_incoming_sms_fires_an_event(
    hass: HomeAssistant, modem: GsmModem, sms_ready: ConfigEntry, incoming: Incoming
) -> None:
    """The sender and the whole text, also of a reply in several parts."""
    reply = f"START 4711 {EN_DASH} Åsa"
    modem.deliver(ANNA, reply)
    (event,) = await incoming.wait(1)
    assert (event["phone"], event["text"]) == (ANNA, reply)

    long_reply = text_of(400)
    assert len(modem.deliver(BERTIL, long_reply)) == 3
    events = await incoming.wait(2)
    assert (events[1]["phone"], events[1]["text"]) == (BERTIL, long_reply)
    # gammu read each part and deleted it from the SIM.
    await modem.wait_read()


async def test_long_texts_go_in_several_sms(
    hass: HomeAssistant, modem: GsmModem, sms_ready: ConfigEntry
) -> None:
    """160 GSM-7 characters are one SMS, 161 two; in UCS-2, 70 and 71."""
    cases = [(160, False, 1), (161, False, 2), (70, True, 1), (71, True, 2)]
    for length, unicode, _ in cases:
        await send_sms(hass, ANNA, text_of(length), unicode=unicode)

    sent = await modem.wait_sent(len(cases))
    assert [(sms.text, sms.unicode, sms.segments) for sms in sent] == [
        (text_of(length), unicode, segments) for length, unicode, segments in cases
    ]


async def test_modem_announces_new_sms_when_asked(modem: GsmModem) -> None:
    """`+CMTI` for each stored SMS, once AT+CNMI asked for it (HA's sms does not)."""
    fd = os.open(modem.device, os.O_RDWR | os.O_NOCTTY)
    try:
        os.write(fd, b"ATE0\rAT+CNMI=2,1,0,0,0\r")
        assert _read_until(fd, b"OK\r\n\r\nOK\r\n").endswith(b"OK\r\n\r\nOK\r\n")
        locations = modem.deliver(BERTIL, "START 4711")
        assert (
            _read_until(fd, b"\r\n").strip() == f'+CMTI: "SM",{locations[0]}'.encode()
        )
    finally:
        os.close(fd)


def _read_until(fd: int, end: bytes, timeout: float = 10.0) -> bytes:
    data = b""
    while end not in data:
        ready, _, _ = select.select([fd], [], [], timeout)
        assert ready, data
        data += os.read(fd, 1024)
    return data
