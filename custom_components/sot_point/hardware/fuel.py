"""Diesel consumption of a generator set as a function of its load.

Engineering assumption (shared/domain/sites.md §2, marked A there): consumption
is linear in load, F(P) = F0 + k·P, with F0 a quarter of the full-load rate.
The full-load rate of 0.33 L per rated kWh sits between the vendor figures
(Cummins X3.3: 9.7 L/h at 36 kWm; Generac 30 kW: 10.4 L/h) and the rule-of-
thumb charts (30 kW: 11.0 L/h). The simulator and the integration both use this
curve, so the autonomy the integration shows is what the simulator burns.
"""

from __future__ import annotations

from dataclasses import dataclass

FULL_LOAD_LITRES_PER_RATED_KWH = 0.33
IDLE_SHARE_OF_FULL_LOAD = 0.25


@dataclass(frozen=True, slots=True)
class FuelCurve:
    """Consumption of one set, from its rated power."""

    rated_kw: float

    @property
    def full_load_lph(self) -> float:
        """Litres per hour at rated power."""
        return FULL_LOAD_LITRES_PER_RATED_KWH * self.rated_kw

    def litres_per_hour(self, load_kw: float) -> float:
        """Litres per hour while running at `load_kw` (clamped to 0..rated)."""
        load = min(max(load_kw, 0.0), self.rated_kw)
        idle = IDLE_SHARE_OF_FULL_LOAD * self.full_load_lph
        return idle + (self.full_load_lph - idle) * load / self.rated_kw

    def autonomy_hours(self, usable_litres: float, load_kw: float) -> float:
        """Hours the usable fuel lasts at a steady `load_kw`."""
        return usable_litres / self.litres_per_hour(load_kw)
