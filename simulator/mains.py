"""The public grid at the site's connection point: three phases, one frequency."""

from __future__ import annotations

from dataclasses import dataclass, field
import random

from custom_components.sot_point.hardware.state import BandLimits

from .config import NOMINAL_FREQUENCY, NOMINAL_PHASE_VOLTAGE, PHASES


@dataclass(slots=True)
class Mains:
    """Per-phase voltages and the frequency the grid delivers now.

    The setpoints are what the grid does; `voltages` and `frequency` add a
    little seeded noise so the readings look measured without ever leaving
    the band on their own.
    """

    setpoint_voltages: list[float] = field(
        default_factory=lambda: [NOMINAL_PHASE_VOLTAGE] * PHASES
    )
    setpoint_frequency: float = NOMINAL_FREQUENCY
    voltages: list[float] = field(
        default_factory=lambda: [NOMINAL_PHASE_VOLTAGE] * PHASES
    )
    frequency: float = NOMINAL_FREQUENCY

    def lose(self) -> None:
        """The grid goes dead on every phase."""
        self.setpoint_voltages = [0.0] * PHASES
        self.setpoint_frequency = 0.0
        self._settle()

    def restore(self) -> None:
        """The grid comes back at nominal voltage and frequency."""
        self.setpoint_voltages = [NOMINAL_PHASE_VOLTAGE] * PHASES
        self.setpoint_frequency = NOMINAL_FREQUENCY
        self._settle()

    def set_out_of_band(
        self,
        voltages: list[float] | None = None,
        frequency: float | None = None,
    ) -> None:
        """A brown-out, a lost phase or a frequency excursion.

        Phases not given keep their setpoint; with no argument at all the grid
        sags to 180 V on every phase (below EN 50160's -15 %).
        """
        if voltages is None and frequency is None:
            voltages = [180.0] * PHASES
        if voltages is not None:
            if len(voltages) != PHASES:
                msg = f"need {PHASES} phase voltages, got {len(voltages)}"
                raise ValueError(msg)
            self.setpoint_voltages = list(voltages)
        if frequency is not None:
            self.setpoint_frequency = frequency
        self._settle()

    @property
    def live(self) -> bool:
        """Whether any phase carries voltage at all."""
        return any(v > 0 for v in self.setpoint_voltages)

    def in_band(self, limits: BandLimits) -> bool:
        """Whether every phase and the frequency are inside `limits`."""
        return limits.contains(list(self.voltages), self.frequency)

    def step(self, rng: random.Random) -> None:
        """New readings: the setpoints plus measurement-sized noise."""
        self.voltages = [
            v + rng.uniform(-1.0, 1.0) if v > 0 else 0.0 for v in self.setpoint_voltages
        ]
        f = self.setpoint_frequency
        self.frequency = f + rng.uniform(-0.05, 0.05) if f > 0 else 0.0

    def _settle(self) -> None:
        """Apply a change at once, so the next reading already shows it."""
        self.voltages = list(self.setpoint_voltages)
        self.frequency = self.setpoint_frequency
