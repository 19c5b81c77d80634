"""`/cap.xml`: the notices and the power state as valid CAP 1.2 alerts.

Each alert is checked against the rules of the CAP 1.2 schema, written out
below from the OASIS specification (Common Alerting Protocol Version 1.2,
OASIS Standard, 1 July 2010, §3.2 and its XML schema): the elements of
`alert`, `info` and `area` in the schema's order, each as often as it may
occur, the enumerated values, the dateTime form with its explicit offset, and
identifiers without spaces, commas or the restricted characters < and &.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
import re
from typing import Final
import xml.etree.ElementTree as ET

import pytest

from .conftest import Clock, Running, Start, notice, status_object

CAP: Final = "urn:oasis:names:tc:emergency:cap:1.2"
ATOM: Final = "http://www.w3.org/2005/Atom"
MANY: Final = 1_000_000

# CAP 1.2 §3.3.2: "2002-05-24T16:49:00-07:00"; no "Z", no fractions (the
# schema's pattern).
DATE_TIME: Final = re.compile(r"\d\d\d\d-\d\d-\d\dT\d\d:\d\d:\d\d[-+]\d\d:\d\d")
# identifier and sender: "MUST NOT include spaces, commas or restricted
# characters (< and &)".
NO_SEPARATORS: Final = re.compile(r"[^\s,<&]+")
ENUMS: Final[dict[str, frozenset[str]]] = {
    "status": frozenset({"Actual", "Exercise", "System", "Test", "Draft"}),
    "msgType": frozenset({"Alert", "Update", "Cancel", "Ack", "Error"}),
    "scope": frozenset({"Public", "Restricted", "Private"}),
    "category": frozenset(
        {
            "Geo",
            "Met",
            "Safety",
            "Security",
            "Rescue",
            "Fire",
            "Health",
            "Env",
            "Transport",
            "Infra",
            "CBRNE",
            "Other",
        }
    ),
    "responseType": frozenset(
        {
            "Shelter",
            "Evacuate",
            "Prepare",
            "Execute",
            "Avoid",
            "Monitor",
            "Assess",
            "AllClear",
            "None",
        }
    ),
    "urgency": frozenset({"Immediate", "Expected", "Future", "Past", "Unknown"}),
    "severity": frozenset({"Extreme", "Severe", "Moderate", "Minor", "Unknown"}),
    "certainty": frozenset({"Observed", "Likely", "Possible", "Unlikely", "Unknown"}),
}


@dataclass(frozen=True)
class Child:
    """One element of a sequence: its name, how often, and its content's rule."""

    name: str
    least: int = 0
    most: int = 1
    kind: str = "string"  # string, dateTime, token, enum, decimal, complex


PAIR: Final = (Child("valueName", 1, 1), Child("value", 1, 1))
RESOURCE: Final = (
    Child("resourceDesc", 1, 1),
    Child("mimeType", 1, 1),
    Child("size", 0, 1, "integer"),
    Child("uri", 0, 1),
    Child("derefUri", 0, 1),
    Child("digest", 0, 1),
)
AREA: Final = (
    Child("areaDesc", 1, 1),
    Child("polygon", 0, MANY, "polygon"),
    Child("circle", 0, MANY, "circle"),
    Child("geocode", 0, MANY, "complex"),
    Child("altitude", 0, 1, "decimal"),
    Child("ceiling", 0, 1, "decimal"),
)
INFO: Final = (
    Child("language", 0, 1, "language"),
    Child("category", 1, MANY, "enum"),
    Child("event", 1, 1),
    Child("responseType", 0, MANY, "enum"),
    Child("urgency", 1, 1, "enum"),
    Child("severity", 1, 1, "enum"),
    Child("certainty", 1, 1, "enum"),
    Child("audience", 0, 1),
    Child("eventCode", 0, MANY, "complex"),
    Child("effective", 0, 1, "dateTime"),
    Child("onset", 0, 1, "dateTime"),
    Child("expires", 0, 1, "dateTime"),
    Child("senderName", 0, 1),
    Child("headline", 0, 1),
    Child("description", 0, 1),
    Child("instruction", 0, 1),
    Child("web", 0, 1, "uri"),
    Child("contact", 0, 1),
    Child("parameter", 0, MANY, "complex"),
    Child("resource", 0, MANY, "complex"),
    Child("area", 0, MANY, "complex"),
)
ALERT: Final = (
    Child("identifier", 1, 1, "token"),
    Child("sender", 1, 1, "token"),
    Child("sent", 1, 1, "dateTime"),
    Child("status", 1, 1, "enum"),
    Child("msgType", 1, 1, "enum"),
    Child("source", 0, 1),
    Child("scope", 1, 1, "enum"),
    Child("restriction", 0, 1),
    Child("addresses", 0, 1),
    Child("code", 0, MANY),
    Child("note", 0, 1),
    Child("references", 0, 1, "references"),
    Child("incidents", 0, 1),
    Child("info", 0, MANY, "complex"),
)
COMPLEX: Final = {
    "info": INFO,
    "area": AREA,
    "resource": RESOURCE,
    "geocode": PAIR,
    "eventCode": PAIR,
    "parameter": PAIR,
}
LANGUAGE: Final = re.compile(r"[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*")
POINT: Final = r"-?\d+(\.\d+)?,-?\d+(\.\d+)?"
CIRCLE: Final = re.compile(POINT + r" \d+(\.\d+)?")
DECIMAL: Final = re.compile(r"-?\d+(\.\d+)?")


def _local(element: ET.Element) -> str:
    namespace, _, name = element.tag[1:].partition("}")
    return name if namespace == CAP else element.tag


def _content_errors(child: Child, element: ET.Element, where: str) -> list[str]:
    value = element.text or ""
    rules = {
        "dateTime": DATE_TIME.fullmatch(value),
        "token": NO_SEPARATORS.fullmatch(value),
        "enum": value in ENUMS.get(child.name, frozenset()),
        "language": LANGUAGE.fullmatch(value),
        "decimal": DECIMAL.fullmatch(value),
        "integer": value.isdigit(),
        "circle": CIRCLE.fullmatch(value),
        "uri": value.startswith(("http://", "https://")),
        "references": all(
            len(part.split(",")) == 3 and DATE_TIME.fullmatch(part.split(",")[2])
            for part in value.split()
        )
        and bool(value.split()),
    }
    if child.kind == "polygon":
        points = value.split()
        ok = len(points) >= 4 and points[0] == points[-1]
        return [] if ok else [f"{where}: a polygon of {value!r}"]
    if child.kind in rules and not rules[child.kind]:
        return [f"{where}: {value!r} is not a valid {child.kind}"]
    if child.kind == "string" and not value.strip():
        return [f"{where}: empty"]
    return []


def validate(element: ET.Element, sequence: tuple[Child, ...], where: str) -> list[str]:
    """Every way `element`'s children break the schema's sequence."""
    errors = []
    children = list(element)
    position = 0
    for child in sequence:
        count = 0
        while position < len(children) and _local(children[position]) == child.name:
            found = children[position]
            here = f"{where}/{child.name}"
            if child.kind == "complex":
                errors += validate(found, COMPLEX[child.name], here)
            else:
                if len(found):
                    errors.append(f"{here}: elements inside a simple value")
                errors += _content_errors(child, found, here)
            count += 1
            position += 1
        if not child.least <= count <= child.most:
            errors.append(f"{where}/{child.name}: {count} times")
    errors += [
        f"{where}: {_local(extra)} not allowed here (order or name)"
        for extra in children[position:]
    ]
    return errors


def validate_alert(alert: ET.Element) -> list[str]:
    """The schema's rules, and the rules the specification adds in words."""
    if alert.tag != f"{{{CAP}}}alert":
        return [f"root {alert.tag}, not a CAP 1.2 alert"]
    errors = validate(alert, ALERT, "alert")
    msg_type = alert.findtext(f"{{{CAP}}}msgType")
    if msg_type in {"Update", "Cancel"} and alert.find(f"{{{CAP}}}references") is None:
        errors.append("alert: an Update or Cancel without references")
    scope = alert.findtext(f"{{{CAP}}}scope")
    if scope == "Restricted" and alert.find(f"{{{CAP}}}restriction") is None:
        errors.append("alert: Restricted scope without a restriction")
    if scope == "Private" and alert.find(f"{{{CAP}}}addresses") is None:
        errors.append("alert: Private scope without addresses")
    for headline in alert.iter(f"{{{CAP}}}headline"):
        if len(headline.text or "") >= 160:
            errors.append("info/headline: 160 characters or more")
    return errors


def alerts_of(document: str) -> list[ET.Element]:
    """The CAP alerts in the Atom feed at /cap.xml."""
    feed = ET.fromstring(document)
    assert feed.tag == f"{{{ATOM}}}feed"
    alerts = []
    for entry in feed.findall(f"{{{ATOM}}}entry"):
        content = entry.find(f"{{{ATOM}}}content")
        assert content is not None
        assert content.get("type") == "application/cap+xml"
        assert len(content) == 1
        alerts.append(content[0])
    return alerts


def field(alert: ET.Element, name: str) -> str:
    """One of the alert's own values."""
    return alert.findtext(f"{{{CAP}}}{name}") or ""


async def _alerts(running: Running) -> list[ET.Element]:
    status, body, headers = await running.get("/cap.xml")
    assert status == 200
    assert headers["Content-Type"].startswith("application/atom+xml")
    return alerts_of(body)


async def test_every_current_notice_and_the_power_state_are_valid_cap(
    start_app: Start,
) -> None:
    """The power state first, then each notice, each valid, in sv-SE and en-US."""
    running = await start_app(status_object())
    alerts = await _alerts(running)
    assert len(alerts) == 3
    for alert in alerts:
        assert validate_alert(alert) == []
        assert field(alert, "status") == "Actual"
        assert field(alert, "scope") == "Public"
        assert field(alert, "msgType") == "Alert"
        assert field(alert, "sender") == "sot-point.sot-punkt-kall"
        infos = alert.findall(f"{{{CAP}}}info")
        assert [i.findtext(f"{{{CAP}}}language") for i in infos] == ["sv-SE", "en-US"]
        for info in infos:
            assert info.findtext(f"{{{CAP}}}area/{{{CAP}}}areaDesc") == "SOT-punkt Kall"
    power, urgent, important = alerts
    sv, en = power.findall(f"{{{CAP}}}info/{{{CAP}}}headline")
    assert sv.text == "Strömavbrott – reservkraft i drift"  # noqa: RUF001
    assert en.text == "Power cut – running on backup power"  # noqa: RUF001
    assert field(power, "sent") == "2026-11-24T12:05:05+01:00"  # the outage began
    assert "Värmestugan i skolan" in ET.tostring(urgent, encoding="unicode")
    # A notice without English text says the Swedish one in both.
    texts = [d.text for d in important.iter(f"{{{CAP}}}description")]
    assert texts == ["Butiken har öppet 10–16."] * 2  # noqa: RUF001


async def test_area_carries_the_municipality_and_a_circle_when_known(
    start_app: Start,
) -> None:
    """`official.area` of the status gives the SCB code and a 1 km circle."""
    area = {
        "county": "24",
        "municipality": "2480",
        "location": {"latitude": 63.826, "longitude": 20.263},
    }
    running = await start_app(status_object(official={"area": area, "items": []}))
    alert = (await _alerts(running))[0]
    assert validate_alert(alert) == []
    where = alert.find(f"{{{CAP}}}info/{{{CAP}}}area")
    assert where is not None
    assert where.findtext(f"{{{CAP}}}circle") == "63.826,20.263 1.0"
    assert where.findtext(f"{{{CAP}}}geocode/{{{CAP}}}value") == "2480"


async def test_identifiers_stay_the_same_across_requests_and_restarts(
    start_app: Start, tmp_path: Path
) -> None:
    """An aggregator that read the alerts before a restart sees the same ones."""
    data = tmp_path / "kept"
    first = await start_app(status_object(), data_dir=data)
    before = [(field(a, "identifier"), field(a, "sent")) for a in await _alerts(first)]
    again = [(field(a, "identifier"), field(a, "sent")) for a in await _alerts(first)]
    await first.app.stop()
    second = await start_app(None, data_dir=data)
    after = [(field(a, "identifier"), field(a, "sent")) for a in await _alerts(second)]
    assert before == again == after
    assert len({identifier for identifier, _ in before}) == 3


async def test_a_change_is_an_update_that_references_the_alert_before(
    start_app: Start,
) -> None:
    """The power coming back, and a notice changed, are Updates with references."""
    running = await start_app(status_object())
    power, urgent, _ = await _alerts(running)
    running.app.on_status(
        status_object(
            mode="normal",
            mains_available=True,
            outage_started=None,
            notices=[
                notice(
                    "01B",
                    "Värmestugan stänger kl. 20.",
                    importance="important",
                    text_en="The warm room closes at 8 pm.",
                )
            ],
        )
    )
    new_power, new_notice = await _alerts(running)
    for new, old in ((new_power, power), (new_notice, urgent)):
        assert validate_alert(new) == []
        assert field(new, "msgType") == "Update"
        assert field(new, "identifier") != field(old, "identifier")
        assert field(new, "references") == ",".join(
            field(old, name) for name in ("sender", "identifier", "sent")
        )
    # The cleared notice 01A is no longer an alert; the power is normal again.
    headlines = [h.text for h in new_power.iter(f"{{{CAP}}}headline")]
    assert headlines == ["Normalläge – strömmen fungerar", "Normal – the power is on"]  # noqa: RUF001


async def test_expired_notices_are_not_alerts(start_app: Start) -> None:
    """A notice whose expiry has passed leaves /cap.xml with the minute's render."""
    running = await start_app(
        status_object(
            notices=[notice("01C", "Vatten delas ut till 15.", expires_in=10)]
        )
    )
    alerts = await _alerts(running)
    assert len(alerts) == 2
    assert (
        alerts[1].findtext(f"{{{CAP}}}info/{{{CAP}}}expires")
    ) == "2026-11-24T14:42:05+01:00"
    assert isinstance(running.clock, Clock)
    running.clock.advance(timedelta(minutes=11))
    running.app.tick()
    assert len(await _alerts(running)) == 1


BROKEN: Final = {
    "a Z time": (
        "<sent>2026-11-24T13:32:05+00:00</sent>",
        "<sent>2026-11-24T13:32:05Z</sent>",
    ),
    "fractions of a second": (
        "<sent>2026-11-24T13:32:05+00:00</sent>",
        "<sent>2026-11-24T13:32:05.120+00:00</sent>",
    ),
    "scope missing": ("<scope>Public</scope>", ""),
    "elements out of order": (
        "<status>Actual</status><msgType>Alert</msgType>",
        "<msgType>Alert</msgType><status>Actual</status>",
    ),
    "a space in the identifier": (
        "<identifier>abc</identifier>",
        "<identifier>a bc</identifier>",
    ),
    "an unknown status": ("<status>Actual</status>", "<status>Real</status>"),
    "an unknown severity": ("<severity>Minor</severity>", "<severity>Low</severity>"),
    "an info without a category": ("<category>Infra</category>", ""),
    "an area without a description": ("<areaDesc>Kall</areaDesc>", ""),
    "an update without references": (
        "<msgType>Alert</msgType>",
        "<msgType>Update</msgType>",
    ),
    "a circle without a radius": (
        "<circle>63.8,20.2 1.0</circle>",
        "<circle>63.8,20.2</circle>",
    ),
}
VALID: Final = (
    f'<alert xmlns="{CAP}"><identifier>abc</identifier><sender>sot-point.kall</sender>'
    "<sent>2026-11-24T13:32:05+00:00</sent><status>Actual</status>"
    "<msgType>Alert</msgType><scope>Public</scope><info><language>sv-SE</language>"
    "<category>Infra</category><event>Ström</event><urgency>Past</urgency>"
    "<severity>Minor</severity><certainty>Observed</certainty><area>"
    "<areaDesc>Kall</areaDesc><circle>63.8,20.2 1.0</circle></area></info></alert>"
)


def test_the_rules_accept_a_valid_alert() -> None:
    """The written-out schema is no stricter than CAP 1.2."""
    assert validate_alert(ET.fromstring(VALID)) == []


@pytest.mark.parametrize("mistake", list(BROKEN))
def test_the_rules_refuse_what_cap_forbids(mistake: str) -> None:
    """Each rule of the written-out schema catches what it is there for."""
    valid, broken = BROKEN[mistake]
    assert valid in VALID
    assert validate_alert(ET.fromstring(VALID.replace(valid, broken))) != []
