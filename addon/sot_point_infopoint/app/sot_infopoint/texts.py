# ruff: noqa: RUF001, E501 - a table of sentences; the dash is the Swedish one
"""Every word a person reads on the info point, in Swedish and English.

Times are shown in Europe/Stockholm whatever the machine's time zone, with
Swedish or English month names written out here rather than taken from the
C library's locale (an add-on container has no Swedish locale installed).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final, Literal
from zoneinfo import ZoneInfo

type Lang = Literal["sv", "en"]
LANGUAGES: Final[tuple[Lang, ...]] = ("sv", "en")
TIME_ZONE: Final = ZoneInfo("Europe/Stockholm")

_SV: Final[dict[str, str]] = {
    "page_title": "{site} – information",
    "kiosk_title": "{site} – skärm",
    "notice_title": "{site} – anslag",
    "intro": "Information från SOT-punkten om ström, reservkraft och vad som fungerar.",
    "banner_normal": "Normalläge – strömmen fungerar",
    "banner_test_run": "Normalläge – reservkraften provkörs",
    "banner_starting": "Strömavbrott – reservkraft startar",
    "banner_backup_power": "Strömavbrott – reservkraft i drift",
    "banner_no_backup": "Strömavbrott – ingen reservkraft",
    "banner_returning": "Strömmen är tillbaka",
    "banner_unknown": "Läget är okänt just nu",
    "banner_no_data": "Ingen information ännu",
    "since": "Sedan {time} ({duration}).",
    "unknown_detail": "SOT-punktens utrustning svarar inte just nu.",
    "no_data_detail": "Sidan har ännu inte fått några uppgifter från SOT-punkten.",
    "works_heading": "Det här fungerar nu",
    "svc_store": "Butiken",
    "svc_fuel_pump": "Drivmedelspumpen",
    "svc_warm_room": "Värmestugan",
    "svc_phone_charging": "Laddning av mobiltelefoner",
    "svc_information_point": "Informationspunkten",
    "offer_store": "butik",
    "offer_fuel_pump": "drivmedelspump",
    "offer_warm_room": "värmestuga",
    "offer_phone_charging": "laddning av mobiltelefoner",
    "offer_information_point": "informationspunkt",
    "state_works": "Fungerar",
    "state_starting": "Väntar på reservkraft",
    "state_down": "Fungerar inte just nu",
    "state_unknown": "Okänt",
    "svc_fuel": "Drivmedel",
    "svc_cash_withdrawal": "Kontantuttag",
    "svc_parcels": "Paketutlämning",
    "svc_pharmacy_pickup": "Apoteksombud",
    "svc_drinking_water": "Dricksvatten",
    "svc_toilets": "Toaletter",
    "svc_shower": "Dusch",
    "svc_wifi": "Wifi",
    "board_open": "Öppet",
    "board_limited": "Begränsat",
    "board_closed": "Stängt",
    "board_unknown": "Okänt",
    "board_hours": "Öppettider: {hours}",
    "board_stale": "Inte bekräftat sedan {time}.",
    "follows_heater": "Följer värmen och temperaturen i rummet.",
    "follows_power": "Följer strömmen till pumpen.",
    "room_temperature": "{temperature} inne",
    "notices_heading": "Meddelanden",
    "importance_urgent": "Brådskande",
    "importance_important": "Viktigt",
    "published": "Publicerat {time}",
    "fuel_heading": "Reservkraftens diesel",
    "fuel_autonomy": "Räcker i cirka {hours} vid nuvarande förbrukning.",
    "emergency_heading": "Vid nödläge",
    "call_112": "Ring {number} vid fara för liv, hälsa, egendom eller miljö.",
    "call_1177": "Ring {number} för sjukvårdsrådgivning.",
    "call_11313": "Ring {number} för information om olyckor och kriser.",
    "radio_p4": "Lyssna på Sveriges Radio P4 – där sänds viktiga meddelanden till allmänheten.",
    "radio_p4_local": "Lyssna på Sveriges Radio {radio} – där sänds viktiga meddelanden till allmänheten.",
    "updated": "Senast uppdaterad {time}, {age}.",
    "never_updated": "Inga uppgifter ännu.",
    "stale": "Uppgifterna kan vara inaktuella.",
    "other_language": "In English",
    "reload": "Uppdatera sidan",
    "kiosk_refresh": "Skärmen uppdateras av sig själv.",
    "notice_heading": "Information vid strömavbrott",
    "notice_offers": "Här finns:",
    "notice_board": "Så här var läget när anslaget skrevs ut, {time}. Sidan visar läget nu.",
    "notice_read": "Läs aktuell information i mobilen:",
    "notice_wifi": "Anslut till wifi-nätet {wifi}, öppna sedan sidan.",
    "notice_scan": "Skanna koden med kameran eller skriv adressen:",
    "notice_no_address": "Fråga i butiken efter sidans adress.",
    "notice_printed": "Utskrivet {time}.",
    "qr_title": "QR-kod till informationssidan",
    "feed_outage_started": "Strömavbrott",
    "feed_backup_power": "Reservkraft i drift",
    "feed_no_backup": "Ingen reservkraft",
    "feed_outage_ended": "Strömmen är tillbaka",
    "feed_outage_ended_detail": "Strömavbrottet varade {duration}.",
    "admin_title": "Informationspunkt – administration",
    "admin_connection": "Anslutning till Home Assistant",
    "admin_connected": "Ansluten sedan {time}.",
    "admin_disconnected": "Inte ansluten. Försöker igen {time}.",
    "admin_never": "Har inte anslutit ännu.",
    "admin_last_error": "Senaste fel: {error}",
    "admin_last_status": "Senaste status mottagen {time}.",
    "admin_views": "Sidorna",
    "admin_view_page": "Informationssidan",
    "admin_view_kiosk": "Skärmvyn för butiken",
    "admin_view_notice": "Anslaget att skriva ut",
    "admin_view_status": "Statusobjektet (JSON)",
    "admin_view_feed": "Flödet (Atom)",
    "admin_settings": "Inställningar",
    "admin_public_url": "Sidans adress för QR-koden: {url}",
    "admin_no_public_url": "Ingen adress för QR-koden är inställd (public_url).",
    "admin_wifi": "Wifi-nät: {wifi}",
    "admin_no_wifi": "Inget wifi-nät är inställt (wifi_name).",
    "just_now": "just nu",
    "ago": "{duration} sedan",
    "yesterday": "igår",
    "hours": "{hours} timmar",
}

_EN: Final[dict[str, str]] = {
    "page_title": "{site} – information",
    "kiosk_title": "{site} – screen",
    "notice_title": "{site} – notice",
    "intro": "Information from the service point about power, backup power and what works.",
    "banner_normal": "Normal – the power is on",
    "banner_test_run": "Normal – the backup generator is being tested",
    "banner_starting": "Power cut – backup power starting",
    "banner_backup_power": "Power cut – running on backup power",
    "banner_no_backup": "Power cut – no backup power",
    "banner_returning": "The power is back",
    "banner_unknown": "Status unknown right now",
    "banner_no_data": "No information yet",
    "since": "Since {time} ({duration}).",
    "unknown_detail": "The service point's equipment is not answering right now.",
    "no_data_detail": "This page has not yet received any information from the service point.",
    "works_heading": "What works now",
    "svc_store": "The store",
    "svc_fuel_pump": "The fuel pump",
    "svc_warm_room": "The warm room",
    "svc_phone_charging": "Phone charging",
    "svc_information_point": "The information point",
    "offer_store": "a store",
    "offer_fuel_pump": "a fuel pump",
    "offer_warm_room": "a warm room",
    "offer_phone_charging": "phone charging",
    "offer_information_point": "an information point",
    "state_works": "Working",
    "state_starting": "Waiting for backup power",
    "state_down": "Not working right now",
    "state_unknown": "Unknown",
    "svc_fuel": "Fuel",
    "svc_cash_withdrawal": "Cash withdrawal",
    "svc_parcels": "Parcel pick-up",
    "svc_pharmacy_pickup": "Pharmacy pick-up",
    "svc_drinking_water": "Drinking water",
    "svc_toilets": "Toilets",
    "svc_shower": "Shower",
    "svc_wifi": "Wi-Fi",
    "board_open": "Open",
    "board_limited": "Limited",
    "board_closed": "Closed",
    "board_unknown": "Unknown",
    "board_hours": "Opening hours: {hours}",
    "board_stale": "Not confirmed since {time}.",
    "follows_heater": "Follows the heater and the room's temperature.",
    "follows_power": "Follows the power to the pump.",
    "room_temperature": "{temperature} inside",
    "notices_heading": "Notices",
    "importance_urgent": "Urgent",
    "importance_important": "Important",
    "published": "Published {time}",
    "fuel_heading": "Diesel for the backup generator",
    "fuel_autonomy": "Lasts about {hours} at the current load.",
    "emergency_heading": "In an emergency",
    "call_112": "Call {number} when life, health, property or the environment is in danger.",
    "call_1177": "Call {number} for healthcare advice.",
    "call_11313": "Call {number} for information about accidents and crises.",
    "radio_p4": "Listen to Sveriges Radio P4 – important public announcements are broadcast there.",
    "radio_p4_local": "Listen to Sveriges Radio {radio} – important public announcements are broadcast there.",
    "updated": "Last updated {time}, {age}.",
    "never_updated": "No information yet.",
    "stale": "This information may be out of date.",
    "other_language": "På svenska",
    "reload": "Reload the page",
    "kiosk_refresh": "This screen refreshes by itself.",
    "notice_heading": "Information during a power cut",
    "notice_offers": "Here you find:",
    "notice_board": "This is how things stood when the notice was printed, {time}. The page shows how they are now.",
    "notice_read": "Read the latest information on your phone:",
    "notice_wifi": "Join the Wi-Fi network {wifi}, then open the page.",
    "notice_scan": "Scan the code with your camera or type the address:",
    "notice_no_address": "Ask in the store for the page's address.",
    "notice_printed": "Printed {time}.",
    "qr_title": "QR code for the information page",
    "feed_outage_started": "Power cut",
    "feed_backup_power": "Running on backup power",
    "feed_no_backup": "No backup power",
    "feed_outage_ended": "The power is back",
    "feed_outage_ended_detail": "The power cut lasted {duration}.",
    "admin_title": "Information point – administration",
    "admin_connection": "Connection to Home Assistant",
    "admin_connected": "Connected since {time}.",
    "admin_disconnected": "Not connected. Trying again {time}.",
    "admin_never": "Not connected yet.",
    "admin_last_error": "Last error: {error}",
    "admin_last_status": "Last status received {time}.",
    "admin_views": "The pages",
    "admin_view_page": "The information page",
    "admin_view_kiosk": "The screen view for the store",
    "admin_view_notice": "The notice to print",
    "admin_view_status": "The status object (JSON)",
    "admin_view_feed": "The feed (Atom)",
    "admin_settings": "Settings",
    "admin_public_url": "The page's address for the QR code: {url}",
    "admin_no_public_url": "No address for the QR code is set (public_url).",
    "admin_wifi": "Wi-Fi network: {wifi}",
    "admin_no_wifi": "No Wi-Fi network is set (wifi_name).",
    "just_now": "just now",
    "ago": "{duration} ago",
    "yesterday": "yesterday",
    "hours": "{hours} hours",
}

TEXTS: Final[dict[Lang, dict[str, str]]] = {"sv": _SV, "en": _EN}

_MONTHS: Final[dict[Lang, tuple[str, ...]]] = {
    "sv": (
        "jan",
        "feb",
        "mars",
        "apr",
        "maj",
        "juni",
        "juli",
        "aug",
        "sep",
        "okt",
        "nov",
        "dec",
    ),
    "en": (
        "Jan",
        "Feb",
        "Mar",
        "Apr",
        "May",
        "Jun",
        "Jul",
        "Aug",
        "Sep",
        "Oct",
        "Nov",
        "Dec",
    ),
}
_UNITS: Final[dict[Lang, tuple[str, str, str]]] = {
    "sv": ("dygn", "tim", "min"),
    "en": ("days", "h", "min"),
}


def text(lang: Lang, key: str, **values: str) -> str:
    """One text in `lang`, with its placeholders filled in."""
    template = TEXTS[lang][key]
    return template.format(**values) if values else template


def other(lang: Lang) -> Lang:
    """The language the page links to."""
    return "en" if lang == "sv" else "sv"


def local_time(moment: datetime, now: datetime, lang: Lang) -> str:
    """`14:32`, `igår 14:32` / `yesterday 14:32`, or `24 nov 14:32`."""
    local = moment.astimezone(TIME_ZONE)
    today = now.astimezone(TIME_ZONE).date()
    clock = f"{local:%H:%M}"
    if local.date() == today:
        return clock
    if (today - local.date()).days == 1:
        return f"{text(lang, 'yesterday')} {clock}"
    return f"{local.day} {_MONTHS[lang][local.month - 1]} {clock}"


def date_time(moment: datetime, lang: Lang) -> str:
    """`24 nov 2026 14:32` in Stockholm time."""
    local = moment.astimezone(TIME_ZONE)
    return f"{local.day} {_MONTHS[lang][local.month - 1]} {local.year} {local:%H:%M}"


def duration(span: timedelta, lang: Lang) -> str:
    """`12 min`, `2 tim 27 min` / `2 h 27 min`, `3 dygn 4 tim` / `3 days 4 h`."""
    minutes = max(0, int(span.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    day_unit, hour_unit, minute_unit = _UNITS[lang]
    if days:
        if lang == "en" and days == 1:
            day_unit = "day"
        return f"{days} {day_unit} {hours} {hour_unit}"
    if hours:
        return f"{hours} {hour_unit} {minutes} {minute_unit}"
    return f"{minutes} {minute_unit}"


def age(moment: datetime, now: datetime, lang: Lang) -> str:
    """`just nu` / `just now` under a minute, else `12 min sedan` / `12 min ago`."""
    span = now - moment
    if span < timedelta(minutes=1):
        return text(lang, "just_now")
    return text(lang, "ago", duration=duration(span, lang))


def number(value: float, lang: Lang, decimals: int = 1) -> str:
    """A number with the language's decimal mark (a comma in Swedish)."""
    shown = f"{value:.{decimals}f}"
    return shown.replace(".", ",") if lang == "sv" else shown


def temperature(celsius: float, lang: Lang) -> str:
    """`19,5 °C`, with a no-break space so the unit never wraps alone."""
    return f"{number(celsius, lang)}\u00a0°C"


def hours(value: float, lang: Lang) -> str:
    """Whole hours, `61 timmar` / `61 hours`."""
    return text(lang, "hours", hours=f"{round(value):d}")
