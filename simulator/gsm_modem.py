"""An emulated GSM modem on a pseudo-terminal, for tests of SMS with real gammu.

Why it exists: a SOT point texts people through a GSM modem (Home Assistant's
`sms` integration, python-gammu on libgammu, AT commands over a serial port).
To test that path end to end without a modem and a SIM card, `GsmModem` opens
a pty and answers on its master side the AT commands gammu sends on the slave
side (`modem.device`, given to gammu as its serial device), as a modem in PDU
mode does: identification, SIM and network status, signal, message storage
("SM"), `AT+CMGS` with its `> ` prompt and Ctrl-Z, `AT+CMGR`, `AT+CMGL` and
`AT+CMGD`.

It records every SMS gammu sends (`modem.sent`, one record per message, its
concatenated segments joined) and stores SMS "from the network"
(`modem.deliver`) in its SIM memory for gammu to read, announcing each with
an unsolicited `+CMTI` when gammu asked for that with `AT+CNMI`. PDUs are
encoded and decoded with python-gammu's own functions, imported only when a
PDU is handled, so this module imports without gammu installed.

A thread serves the pty; `stop()` ends it and closes both ends.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
import importlib
import logging
import os
import re
import select
import threading
import time
import tty
from types import TracebackType
from typing import Any, Self

_LOGGER = logging.getLogger(__name__)

CTRL_Z = b"\x1a"
ESC = b"\x1b"
SIM_CAPACITY = 30
POLL_INTERVAL = 0.02

# +CMGL / +CMGR stat values in PDU mode.
STAT_UNREAD = 0
STAT_READ = 1


@dataclass(frozen=True)
class SentSms:
    """One SMS gammu sent: its concatenated segments joined."""

    number: str
    text: str
    at: datetime
    pdus: tuple[bytes, ...]
    unicode: bool

    @property
    def segments(self) -> int:
        """How many SMS the network carried for it."""
        return len(self.pdus)


@dataclass
class StoredSms:
    """One SMS in the modem's SIM memory."""

    stat: int
    pdu: bytes
    number: str
    text: str


@dataclass
class _Parts:
    """Segments of one concatenated SMS, as they arrive."""

    total: int
    pdus: dict[int, bytes] = field(default_factory=dict)
    texts: dict[int, str] = field(default_factory=dict)
    unicode: bool = False


class GsmModem:
    """A GSM modem in PDU mode, on the master side of a pty.

    Typical use::

        with GsmModem() as modem:
            ... gammu: Device = modem.device, Connection = "at" ...
            modem.deliver("+46701234567", "START 4711")
            assert modem.sent[0].text == "..."
    """

    def __init__(
        self,
        *,
        manufacturer: str = "SOT Point",
        model: str = "Emulated GSM modem",
        revision: str = "1.0",
        imei: str = "356938035643809",
        smsc: str = "+46705008999",
        operator: str = "24001",
        operator_name: str = "Telia",
        signal: int = 20,
        area_code: str = "00A1",
        cell_id: str = "1234",
    ) -> None:
        """A modem that says it is `model` by `manufacturer`, on `operator`."""
        self.manufacturer = manufacturer
        self.model = model
        self.revision = revision
        self.imei = imei
        self.smsc = smsc
        self.operator = operator
        self.operator_name = operator_name
        self.signal = signal
        self.area_code = area_code
        self.cell_id = cell_id
        self.sent: list[SentSms] = []
        self.commands: list[str] = []
        self.inbox: dict[int, StoredSms] = {}
        self._parts: dict[tuple[str, int], _Parts] = {}
        self._echo = True
        self._cnmi_mt = 0
        self._registration_modes: dict[str, int] = {}
        self._cops_format = 0
        self._reference = 0
        self._pending_pdu: int | None = None
        self._buffer = b""
        self._unsolicited: list[bytes] = []
        self._lock = threading.Lock()
        self._master = -1
        self._slave = -1
        self._wake_read = -1
        self._wake_write = -1
        self._thread: threading.Thread | None = None
        self._stopping = False
        self.device = ""

    # Life cycle

    def start(self) -> None:
        """Open the pty and serve it from a thread."""
        self._master, self._slave = os.openpty()
        # Raw until gammu sets its own modes; the slave stays open here so the
        # master never sees a hang-up between two gammu sessions.
        tty.setraw(self._slave)
        self.device = os.ttyname(self._slave)
        self._wake_read, self._wake_write = os.pipe()
        self._stopping = False
        self._thread = threading.Thread(
            target=self._serve, name=f"gsm-modem {self.device}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the pty."""
        if self._thread is None:
            return
        self._stopping = True
        os.write(self._wake_write, b"x")
        self._thread.join(5)
        self._thread = None
        for fd in (self._master, self._slave, self._wake_read, self._wake_write):
            os.close(fd)

    def __enter__(self) -> Self:
        """Start; `stop` on leaving."""
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop."""
        self.stop()

    # What tests use

    def deliver(
        self, number: str, text: str, *, at: datetime | None = None
    ) -> list[int]:
        """An SMS from `number` arrives: stored unread, one slot per segment.

        Returns the SIM locations it was stored at.
        """
        pdus = encode_deliver(number, text, self.smsc, at or datetime.now(UTC))
        locations = []
        with self._lock:
            for pdu in pdus:
                location = self._free_location()
                self.inbox[location] = StoredSms(STAT_UNREAD, pdu, number, text)
                locations.append(location)
                if self._cnmi_mt:
                    self._unsolicited.append(f'\r\n+CMTI: "SM",{location}\r\n'.encode())
        if self._unsolicited:
            os.write(self._wake_write, b"u")
        return locations

    async def wait_sent(self, count: int = 1, seconds: float = 30.0) -> list[SentSms]:
        """Wait until `count` SMS have been sent in all, and return them all."""
        await _poll(lambda: len(self.sent) >= count, seconds, f"{count} SMS sent")
        return list(self.sent)

    async def wait_read(self, seconds: float = 30.0) -> None:
        """Wait until gammu has read and deleted every delivered SMS."""
        await _poll(lambda: not self.inbox, seconds, "every SMS read")

    # The serving thread

    def _serve(self) -> None:
        while not self._stopping:
            ready, _, _ = select.select([self._master, self._wake_read], [], [])
            if self._wake_read in ready:
                os.read(self._wake_read, 64)
            if self._master in ready:
                try:
                    data = os.read(self._master, 4096)
                except OSError:
                    time.sleep(0.01)
                    continue
                self._receive(data)
            self._flush_unsolicited()

    def _flush_unsolicited(self) -> None:
        if self._buffer or self._pending_pdu is not None:
            return
        with self._lock:
            pending, self._unsolicited = self._unsolicited, []
        for line in pending:
            self._write(line)

    def _write(self, data: bytes) -> None:
        os.write(self._master, data)

    def _receive(self, data: bytes) -> None:
        if self._echo:
            # As a modem does: every character back as it arrives.
            self._write(data)
        self._buffer += data
        while True:
            if self._pending_pdu is not None:
                if not self._take_pdu():
                    return
                continue
            end = self._buffer.find(b"\r")
            if end < 0:
                return
            line, self._buffer = self._buffer[:end], self._buffer[end + 1 :]
            line = line.lstrip(b"\n")
            if line.strip():
                self._command(line.decode("latin-1").strip())

    def _take_pdu(self) -> bool:
        """The PDU after `AT+CMGS`: sent at Ctrl-Z, dropped at Esc."""
        ends = [
            i for i in (self._buffer.find(CTRL_Z), self._buffer.find(ESC)) if i >= 0
        ]
        if not ends:
            return False
        end = min(ends)
        body, end_byte = self._buffer[:end], self._buffer[end : end + 1]
        self._buffer = self._buffer[end + 1 :]
        length, self._pending_pdu = self._pending_pdu, None
        if end_byte == ESC:
            self._ok()
        else:
            self._submit(body.decode("latin-1").strip(), length or 0)
        return True

    # Replies

    def _reply(self, *lines: str) -> None:
        self._write(b"".join(f"\r\n{line}\r\n".encode("latin-1") for line in lines))

    def _ok(self, *lines: str) -> None:
        self._reply(*lines, "OK")

    def _error(self) -> None:
        self._reply("ERROR")

    def _cms_error(self, code: int) -> None:
        self._reply(f"+CMS ERROR: {code}")

    # Commands

    def _command(self, line: str) -> None:
        if not line.upper().startswith("AT"):
            # Not a command (gammu's Esc that ends a pending AT+CMGS, noise).
            return
        self.commands.append(line)
        _LOGGER.debug("AT command: %s", line)
        body = line[2:]
        handler = self._handler_for(body.upper())
        if handler is None:
            _LOGGER.debug("unknown AT command: %s", line)
            self._error()
            return
        handler(body)

    def _handler_for(self, body: str) -> Callable[[str], None] | None:
        if body in ("", "Z", "&F", "I") or body.startswith(("&", "V1", "Q0")):
            return self._plain
        if re.fullmatch(r"E[01]?", body):
            return self._set_echo
        name = re.match(r"\+?[A-Z]+", body)
        if name is None:
            return None
        method = _HANDLERS.get(name.group(0).lstrip("+"))
        return getattr(self, method) if method else None

    def _plain(self, body: str) -> None:
        """Commands that only need an OK (ATI: who this is)."""
        if body.upper() == "I":
            self._ok(f"{self.manufacturer} {self.model}")
        else:
            self._ok()

    def _set_echo(self, body: str) -> None:
        self._echo = body.upper() != "E0"
        self._ok()

    def _cmee(self, body: str) -> None:
        if body.endswith("?"):
            self._ok("+CMEE: 1")
        else:
            self._ok()

    def _cgmi(self, _body: str) -> None:
        self._ok(self.manufacturer)

    def _cgmm(self, _body: str) -> None:
        self._ok(self.model)

    def _cgmr(self, _body: str) -> None:
        self._ok(self.revision)

    def _cgsn(self, _body: str) -> None:
        self._ok(self.imei)

    def _cpin(self, _body: str) -> None:
        self._ok("+CPIN: READY")

    def _csca(self, body: str) -> None:
        if body.endswith("?"):
            self._ok(f'+CSCA: "{self.smsc}",145')
        else:
            self._ok()

    def _cmgf(self, body: str) -> None:
        if body.endswith("=?"):
            self._ok("+CMGF: (0)")
        elif body.endswith("?"):
            self._ok("+CMGF: 0")
        elif body.endswith("=0"):
            self._ok()
        else:
            self._error()

    def _csq(self, _body: str) -> None:
        self._ok(f"+CSQ: {self.signal},99")

    def _creg(self, body: str) -> None:
        """+CREG (circuit switched) and +CGREG (packet): registered, home."""
        name = "+CGREG" if body.upper().startswith("+CG") else "+CREG"
        if body.endswith("=?"):
            self._ok(f"{name}: (0-2)")
        elif body.endswith("?"):
            mode = self._registration_modes.get(name, 0)
            cell = f',"{self.area_code}","{self.cell_id}"' if mode == 2 else ""
            self._ok(f"{name}: {mode},1{cell}")
        else:
            self._registration_modes[name] = _number_after(body) or 0
            self._ok()

    def _cgatt(self, body: str) -> None:
        if body.endswith("?"):
            self._ok("+CGATT: 1")
        else:
            self._ok()

    def _cops(self, body: str) -> None:
        """The operator, by name (format 0) or by MCC and MNC (format 2)."""
        if body.endswith("=?"):
            self._ok(
                f'+COPS: (2,"{self.operator_name}",,"{self.operator}"),,(0-4),(0-2)'
            )
        elif body.endswith("?"):
            name = self.operator if self._cops_format == 2 else self.operator_name
            self._ok(f'+COPS: 0,{self._cops_format},"{name}"')
        else:
            values = body.partition("=")[2].split(",")
            if len(values) > 1 and values[1] in ("0", "2"):
                self._cops_format = int(values[1])
            self._ok()

    def _cscs(self, body: str) -> None:
        if body.endswith("=?"):
            self._ok('+CSCS: ("GSM","IRA","UCS2")')
        elif body.endswith("?"):
            self._ok('+CSCS: "GSM"')
        else:
            self._ok()

    def _cnmi(self, body: str) -> None:
        if body.endswith("=?"):
            self._ok("+CNMI: (0-3),(0-3),(0-3),(0-2),(0,1)")
        elif body.endswith("?"):
            self._ok(f"+CNMI: 2,{self._cnmi_mt},0,0,0")
        else:
            values = body.split("=")[1].split(",")
            self._cnmi_mt = int(values[1]) if len(values) > 1 and values[1] else 0
            self._ok()

    def _cpms(self, body: str) -> None:
        """Message storage: only the SIM ("SM"), for reading, writing and receiving."""
        usage = f"{len(self.inbox)},{SIM_CAPACITY}"
        if body.endswith("=?"):
            self._ok('+CPMS: ("SM"),("SM"),("SM")')
        elif body.endswith("?"):
            self._ok("+CPMS: " + ",".join([f'"SM",{usage}'] * 3))
        elif set(re.findall(r'"(\w*)"', body)) == {"SM"}:
            self._ok("+CPMS: " + ",".join([usage] * 3))
        else:
            self._cms_error(302)

    def _cmgs(self, body: str) -> None:
        try:
            self._pending_pdu = int(body.split("=")[1])
        except IndexError, ValueError:
            self._error()
            return
        self._write(b"\r\n> ")

    def _cmgr(self, body: str) -> None:
        location = _number_after(body)
        with self._lock:
            stored = self.inbox.get(location) if location is not None else None
            if stored is None:
                self._cms_error(321)
                return
            line = _pdu_listing(stored)
            stored.stat = STAT_READ
        self._ok(f"+CMGR: {line[0]}", line[1])

    def _cmgl(self, body: str) -> None:
        wanted = _number_after(body)
        lines = []
        with self._lock:
            for location, stored in sorted(self.inbox.items()):
                if wanted not in (None, 4, stored.stat):
                    continue
                head, pdu = _pdu_listing(stored)
                lines += [f"+CMGL: {location},{head}", pdu]
                stored.stat = STAT_READ
        self._ok(*lines)

    def _cmgd(self, body: str) -> None:
        location = _number_after(body)
        with self._lock:
            if location is None or location not in self.inbox:
                self._cms_error(321)
                return
            del self.inbox[location]
        self._ok()

    # Messages

    def _free_location(self) -> int:
        for location in range(1, SIM_CAPACITY + 1):
            if location not in self.inbox:
                return location
        raise OverflowError("SIM memory full")

    def _submit(self, hex_pdu: str, length: int) -> None:
        try:
            pdu = bytes.fromhex(hex_pdu)
            message = decode_pdu(pdu)
        except (ValueError, RuntimeError) as err:
            _LOGGER.warning("undecodable PDU %s (%s): %s", hex_pdu, length, err)
            self._cms_error(304)
            return
        self._collect(pdu, message)
        self._reference = (self._reference + 1) % 256
        self._reply(f"+CMGS: {self._reference}", "OK")

    def _collect(self, pdu: bytes, message: dict[str, Any]) -> None:
        number = str(message["Number"])
        text = str(message["Text"])
        is_unicode = "Unicode" in str(message["Coding"])
        udh = message["UDH"]
        total = int(udh["AllParts"])
        if total <= 1:
            self._record(number, [text], [pdu], is_unicode)
            return
        key = (number, int(udh["ID16bit"]) if udh["ID16bit"] >= 0 else udh["ID8bit"])
        parts = self._parts.setdefault(key, _Parts(total, unicode=is_unicode))
        part = int(udh["PartNumber"])
        parts.pdus[part] = pdu
        parts.texts[part] = text
        if len(parts.pdus) == parts.total:
            del self._parts[key]
            order = sorted(parts.pdus)
            self._record(
                number,
                [parts.texts[n] for n in order],
                [parts.pdus[n] for n in order],
                parts.unicode,
            )

    def _record(
        self, number: str, texts: list[str], pdus: list[bytes], is_unicode: bool
    ) -> None:
        sms = SentSms(
            number, "".join(texts), datetime.now(UTC), tuple(pdus), is_unicode
        )
        _LOGGER.debug("SMS sent: %s", sms)
        self.sent.append(sms)


# Command name (without "+") -> the GsmModem method that answers it.
_HANDLERS = {
    "CMEE": "_cmee",
    "CGMI": "_cgmi",
    "GMI": "_cgmi",
    "CGMM": "_cgmm",
    "GMM": "_cgmm",
    "CGMR": "_cgmr",
    "GMR": "_cgmr",
    "CGSN": "_cgsn",
    "GSN": "_cgsn",
    "CPIN": "_cpin",
    "CSCA": "_csca",
    "CMGF": "_cmgf",
    "CSQ": "_csq",
    "CREG": "_creg",
    "CGREG": "_creg",
    "CGATT": "_cgatt",
    "COPS": "_cops",
    "CSCS": "_cscs",
    "CNMI": "_cnmi",
    "CPMS": "_cpms",
    "CMGS": "_cmgs",
    "CMGR": "_cmgr",
    "CMGL": "_cmgl",
    "CMGD": "_cmgd",
    # Power on, call waiting and USSD off (gammu's init and Terminate).
    "CFUN": "_plain",
    "CCWA": "_plain",
    "CUSD": "_plain",
}


async def _poll(check: Callable[[], bool], seconds: float, what: str) -> None:
    """Wait until `check()` holds (the modem's thread makes it so)."""
    for _ in range(int(seconds / POLL_INTERVAL)):
        if check():
            return
        await asyncio.sleep(POLL_INTERVAL)
    if not check():
        raise TimeoutError(f"not {what} after {seconds} s")


def _number_after(body: str) -> int | None:
    found = re.search(r"=\s*(\d+)", body)
    return int(found.group(1)) if found else None


def _pdu_listing(stored: StoredSms) -> tuple[str, str]:
    """`<stat>,,<length>` and the PDU in hex, as +CMGR/+CMGL give them."""
    smsc_length = stored.pdu[0] + 1
    return f"{stored.stat},,{len(stored.pdu) - smsc_length}", stored.pdu.hex().upper()


def _gammu() -> Any:
    """python-gammu, imported only when a PDU is encoded or decoded."""
    return importlib.import_module("gammu")


def decode_pdu(pdu: bytes) -> dict[str, Any]:
    """An SMS PDU (with its SMSC address first) as python-gammu's SMS dict."""
    gammu = _gammu()
    try:
        message: dict[str, Any] = gammu.DecodePDU(pdu, SMSC=True)
    except gammu.GSMError as err:
        raise RuntimeError(str(err)) from err
    return message


def encode_deliver(number: str, text: str, smsc: str, at: datetime) -> list[bytes]:
    """SMS-DELIVER PDUs of `text` from `number`: GSM-7 if it can, else UCS-2."""
    pdus: list[bytes] = []
    for is_unicode in (False, True):
        pdus = _deliver_pdus(number, text, smsc, at, is_unicode=is_unicode)
        if "".join(str(decode_pdu(pdu)["Text"]) for pdu in pdus) == text:
            break
    return pdus


def _deliver_pdus(
    number: str, text: str, smsc: str, at: datetime, *, is_unicode: bool
) -> list[bytes]:
    gammu = _gammu()
    parts: list[dict[str, Any]] = gammu.EncodeSMS(
        {
            "Class": -1,
            "Unicode": is_unicode,
            "Entries": [{"ID": "ConcatenatedTextLong", "Buffer": text}],
        }
    )
    for part in parts:
        part |= {
            "Number": number,
            "SMSC": {"Number": smsc},
            "Type": "Deliver",
            "DateTime": at.astimezone(UTC).replace(tzinfo=None),
        }
    return [bytes(gammu.EncodePDU(part, Layout="Deliver")) for part in parts]
