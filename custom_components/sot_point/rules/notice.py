"""A notice the association publishes on the info page, as plain data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class Importance(StrEnum):
    """How strongly the page shows a notice."""

    INFO = "info"
    IMPORTANT = "important"
    URGENT = "urgent"


@dataclass(frozen=True, slots=True)
class Notice:
    """One published notice. Times are UTC."""

    id: str
    text_sv: str
    text_en: str | None
    importance: Importance
    published: datetime
    expires: datetime | None = None

    def active(self, now: datetime) -> bool:
        """Whether the notice is still to be shown at `now`."""
        return self.expires is None or now < self.expires

    def as_dict(self) -> dict[str, Any]:
        """For storage and the status object (ISO 8601 UTC timestamps)."""
        return {
            "id": self.id,
            "text_sv": self.text_sv,
            "text_en": self.text_en,
            "importance": self.importance.value,
            "published": self.published.isoformat(),
            "expires": self.expires.isoformat() if self.expires else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Notice:
        """Back from storage."""
        expires = data.get("expires")
        return cls(
            id=str(data["id"]),
            text_sv=str(data["text_sv"]),
            text_en=None if data.get("text_en") is None else str(data["text_en"]),
            importance=Importance(data["importance"]),
            published=datetime.fromisoformat(str(data["published"])),
            expires=None if expires is None else datetime.fromisoformat(str(expires)),
        )
