"""Official items on the page and the kiosk: source, time, link, and their age."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from .conftest import NOW, Start, status_object


def _official(*, failed: bool) -> dict[str, Any]:
    fetched = NOW - timedelta(minutes=27)  # 14:05 in Stockholm
    return {
        "area": {"county": "24", "municipality": "2480", "location": None},
        "fetched_at": fetched.isoformat(),
        "failed_at": NOW.isoformat() if failed else None,
        "items": [
            {
                "id": "SRVMA1",
                "source": "vma",
                "headline": "Viktigt meddelande till allmänheten i Umeå kommun",
                "summary": "Gå inomhus och stäng fönster.",
                "published": (NOW - timedelta(hours=1)).isoformat(),
                "updated": (NOW - timedelta(hours=1)).isoformat(),
                "expires": (NOW + timedelta(hours=5)).isoformat(),
                "link": "https://www.krisinformation.se/nyheter/vma-umea",
            },
            {
                "id": "old",
                "source": "krisinformation",
                "headline": "Halka i hela landet",
                "summary": "",
                "published": (NOW - timedelta(days=4)).isoformat(),
                "updated": (NOW - timedelta(days=4)).isoformat(),
                "expires": (NOW - timedelta(days=1)).isoformat(),
                "link": None,
            },
        ],
    }


async def test_items_show_with_source_time_and_link(start_app: Start) -> None:
    """A fresh fetch: the VMA with its source, time and link; expired ones gone."""
    running = await start_app(status_object(official=_official(failed=False)))
    _, page, _ = await running.get("/?lang=sv")
    assert "Myndigheterna informerar" in page
    assert "Viktigt meddelande till allmänheten i Umeå kommun" in page
    assert "VMA – Viktigt meddelande till allmänheten, 13:32" in page  # noqa: RUF001
    assert 'href="https://www.krisinformation.se/nyheter/vma-umea"' in page
    assert "Hämtat 14:05." in page
    assert "Halka" not in page
    _, kiosk, _ = await running.get("/kiosk")
    assert "Umeå kommun" in kiosk
    assert "krisinformation.se/nyheter" not in kiosk  # no links on the screen


async def test_a_failed_fetch_says_its_age_in_both_languages(start_app: Start) -> None:
    """The last items stay, marked as possibly out of date."""
    running = await start_app(status_object(official=_official(failed=True)))
    _, sv, _ = await running.get("/?lang=sv")
    _, en, _ = await running.get("/?lang=en")
    assert "Hämtat 14:05, kan vara inaktuellt." in sv
    assert "Fetched 14:05, may be out of date." in en
    assert "Umeå kommun" in en
