# ruff: noqa: RUF001, E501 - a table of sentences; the dash is the Swedish one
"""Every word of the regional overview, in Swedish and English.

Kept apart from texts.py (the site's page) so that each page's words can be
read, and checked, on their own; times, durations and numbers are written
by texts.py's helpers, the same on both pages.
"""

from __future__ import annotations

from typing import Final

from .region import Rank
from .texts import Lang

_SV: Final[dict[str, str]] = {
    "page_title": "{region} – SOT-punkter",
    "kiosk_title": "{region} – lägesbild",
    "no_region": "SOT-punkter i regionen",
    "kicker": "Lägesbild över SOT-punkterna",
    "built": "Sammanställd {time}, {age}.",
    "no_data_title": "Inga uppgifter från Home Assistant ännu",
    "no_data_detail": "Sidan visar regionens SOT-punkter så snart Home Assistant skickar dem.",
    "stale": "Inga nya uppgifter från Home Assistant på {duration}, sedan {time}. Det som visas kan vara inaktuellt.",
    "summary_heading": "Sammanfattning",
    "total_one": "1 SOT-punkt",
    "total_many": "{count} SOT-punkter",
    "sites_heading": "SOT-punkterna, sämst läge först",
    "no_sites": "Regionen har inte hört av någon SOT-punkt ännu.",
    "col_number": "Nr",
    "col_site": "SOT-punkt",
    "col_municipality": "Kommun",
    "col_rank": "Läge",
    "col_autonomy": "Uthållighet",
    "col_warm_room": "Värmestuga",
    "col_age": "Senast hörd",
    "rank_no_data": "Ingen data",
    "rank_outage_no_backup": "Avbrott utan reservkraft",
    "rank_start_failed": "Start misslyckades",
    "rank_low_autonomy": "Låg uthållighet",
    "rank_backup_power": "På reservkraft",
    "rank_normal": "Normal",
    "outage_since": "avbrott sedan {time}",
    "autonomy": "{hours} tim",
    "not_reported": "–",
    "heard_ago": "för {duration} sedan",
    "heard_just_now": "just nu",
    "heard_never": "aldrig",
    "map_heading": "Karta",
    "map_title": "Karta över SOT-punkterna i {region}",
    "map_description": "Varje SOT-punkt är en symbol på sin plats, numrerad som i listan; symbolens form och färg visar läget.",
    "dot_title": "{number}. {site} ({municipality}): {rank}",
    "legend_heading": "Teckenförklaring",
    "no_location": "Utan koordinater, visas inte på kartan: {sites}.",
    "no_map": "Ingen SOT-punkt har angett sina koordinater, så kartan är tom.",
    "north": "N",
    "kiosk_more": "{count} SOT-punkter till finns i listan på översiktssidan.",
    "kiosk_more_one": "1 SOT-punkt till finns i listan på översiktssidan.",
    "kiosk_link": "Skärmvyn för krisledningen",
    "admin_view_page": "Översikten över regionens SOT-punkter",
    "admin_view_kiosk": "Skärmvyn för krisledningen",
    "admin_view_status": "Regionobjektet (JSON)",
    "admin_mode": "Regionläge: tillägget visar regionens SOT-punkter (mode: region).",
}

_EN: Final[dict[str, str]] = {
    "page_title": "{region} – SOT points",
    "kiosk_title": "{region} – situation",
    "no_region": "SOT points of the region",
    "kicker": "Situation of the SOT points",
    "built": "Compiled {time}, {age}.",
    "no_data_title": "No information from Home Assistant yet",
    "no_data_detail": "This page shows the region's SOT points as soon as Home Assistant sends them.",
    "stale": "Nothing new from Home Assistant for {duration}, since {time}. What is shown may be out of date.",
    "summary_heading": "Summary",
    "total_one": "1 SOT point",
    "total_many": "{count} SOT points",
    "sites_heading": "The SOT points, worst first",
    "no_sites": "The region has not heard from any SOT point yet.",
    "col_number": "No.",
    "col_site": "SOT point",
    "col_municipality": "Municipality",
    "col_rank": "Situation",
    "col_autonomy": "Fuel autonomy",
    "col_warm_room": "Warm room",
    "col_age": "Last heard",
    "rank_no_data": "No data",
    "rank_outage_no_backup": "Outage without backup power",
    "rank_start_failed": "Start failed",
    "rank_low_autonomy": "Low fuel autonomy",
    "rank_backup_power": "On backup power",
    "rank_normal": "Normal",
    "outage_since": "outage since {time}",
    "autonomy": "{hours} h",
    "not_reported": "–",
    "heard_ago": "{duration} ago",
    "heard_just_now": "just now",
    "heard_never": "never",
    "map_heading": "Map",
    "map_title": "Map of the SOT points of {region}",
    "map_description": "Each SOT point is a symbol at its place, numbered as in the list; the symbol's shape and colour show its situation.",
    "dot_title": "{number}. {site} ({municipality}): {rank}",
    "legend_heading": "Legend",
    "no_location": "Without coordinates, not on the map: {sites}.",
    "no_map": "No SOT point has given its coordinates, so the map is empty.",
    "north": "N",
    "kiosk_more": "{count} more SOT points are listed on the overview page.",
    "kiosk_more_one": "1 more SOT point is listed on the overview page.",
    "kiosk_link": "The crisis room's screen",
    "admin_view_page": "The overview of the region's SOT points",
    "admin_view_kiosk": "The crisis room's screen",
    "admin_view_status": "The region object (JSON)",
    "admin_mode": "Region mode: the add-on shows the region's SOT points (mode: region).",
}

TEXTS: Final[dict[Lang, dict[str, str]]] = {"sv": _SV, "en": _EN}

# SCB's municipality codes of Jämtland (county 23), the county this began in.
# Any other code is shown as it is.
MUNICIPALITIES: Final[dict[str, str]] = {
    "2303": "Ragunda",
    "2305": "Bräcke",
    "2309": "Krokom",
    "2313": "Strömsund",
    "2321": "Åre",
    "2326": "Berg",
    "2361": "Härjedalen",
    "2380": "Östersund",
}


def rtext(lang: Lang, key: str, **values: str) -> str:
    """One text of the regional overview in `lang`, placeholders filled in."""
    template = TEXTS[lang][key]
    return template.format(**values) if values else template


def rank_words(rank: Rank, lang: Lang) -> str:
    """A rank as people say it: `På reservkraft` / `On backup power`."""
    return rtext(lang, f"rank_{rank}")


def municipality_name(code: str) -> str:
    """`Åre` for 2321; a code the table does not know, as it is."""
    return MUNICIPALITIES.get(code, code)
