"""The regional map: the sites' coordinates on a plain SVG, without map tiles.

An equirectangular projection with its standard parallel at the middle of
the sites' latitudes: a degree of latitude is `scale` px, a degree of
longitude `scale * cos(middle latitude)` px (at 63° N, a degree east is 45 %
of a degree north, so Jämtland keeps its shape). The scale fits the sites'
bounding box into the drawing less a margin on every side, the same in both
directions; the box's centre is the drawing's centre. One site alone sits in
the middle.

Each site is a symbol whose colour AND shape say its rank (`SYMBOLS`, the
legend repeats them in words), numbered as in the list and titled with its
name and rank in words. The worst are drawn last, so they lie on top.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
import math
from typing import Final

from .region import Location, Rank

MAP_WIDTH: Final = 400
MAP_HEIGHT: Final = 400
MARGIN: Final = 30
KM_PER_DEGREE_LATITUDE: Final = 111.2
_SCALE_BARS_KM: Final = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)


@dataclass(frozen=True, slots=True)
class Symbol:
    """How one rank is drawn: a shape (SVG, centred on 0,0) and its colours.

    `colour` is the shape's fill; `text` the rank's colour as text on white
    (4.5:1 or better, checked by the tests).
    """

    shape: str
    colour: str
    text: str


def _octagon(radius: float) -> str:
    points = (
        (
            radius * math.cos(math.radians(22.5 + 45 * i)),
            radius * math.sin(math.radians(22.5 + 45 * i)),
        )
        for i in range(8)
    )
    return "M" + "L".join(f"{x:.1f} {y:.1f}" for x, y in points) + "Z"


# Worst first, as the ranks are. Each shape differs from the others, so the
# map reads without colour too.
SYMBOLS: Final[dict[Rank, Symbol]] = {
    Rank.NO_DATA: Symbol(
        '<circle r="6.5" fill="#ffffff" stroke="#424242" stroke-width="3" '
        'stroke-dasharray="3 2"/>',
        "#9e9e9e",
        "#424242",
    ),
    Rank.OUTAGE_NO_BACKUP: Symbol(
        f'<path d="{_octagon(9.5)}" fill="#b71c1c" stroke="#ffffff" '
        'stroke-width="1.5"/><path d="M-5 0H5" stroke="#ffffff" stroke-width="3"/>',
        "#b71c1c",
        "#b71c1c",
    ),
    Rank.START_FAILED: Symbol(
        '<path d="M0-10L10 8H-10Z" fill="#6a1b9a" stroke="#ffffff" '
        'stroke-width="1.5"/>',
        "#6a1b9a",
        "#6a1b9a",
    ),
    Rank.LOW_AUTONOMY: Symbol(
        '<path d="M0-9.5L9.5 0 0 9.5-9.5 0Z" fill="#e65100" stroke="#111111" '
        'stroke-width="1.5"/>',
        "#e65100",
        "#a33a00",
    ),
    Rank.BACKUP_POWER: Symbol(
        '<rect x="-7" y="-7" width="14" height="14" fill="#ffb300" '
        'stroke="#111111" stroke-width="1.5"/>',
        "#ffb300",
        "#7a4f00",
    ),
    Rank.NORMAL: Symbol(
        '<circle r="6" fill="#2e7d32" stroke="#ffffff" stroke-width="1.5"/>',
        "#2e7d32",
        "#1b5e20",
    ),
}


def symbol_id(rank: Rank) -> str:
    """The id of a rank's shape in the page's definitions."""
    return f"sym-{rank}"


def symbol_defs() -> str:
    """An invisible SVG defining every rank's shape once for the whole page.

    The map, the legend and the list use them by reference (`<use>`).
    """
    shapes = "".join(
        f'<g id="{symbol_id(rank)}">{symbol.shape}</g>'
        for rank, symbol in SYMBOLS.items()
    )
    return (
        '<svg class="defs" width="0" height="0" aria-hidden="true" focusable="false">'
        f"<defs>{shapes}</defs></svg>"
    )


def symbol_icon(rank: Rank, size: int = 22) -> str:
    """A rank's shape alone, for the legend and the list (hidden from readers)."""
    half = size / 2
    return (
        f'<svg class="sym" width="{size}" height="{size}" '
        f'viewBox="0 0 {size} {size}" aria-hidden="true" focusable="false">'
        f'<use href="#{symbol_id(rank)}" x="{half:g}" y="{half:g}"/></svg>'
    )


@dataclass(frozen=True, slots=True)
class Projection:
    """Degrees to the drawing's pixels (see the module's docstring)."""

    middle_latitude: float
    middle_longitude: float
    east_factor: float
    scale: float

    def point(self, place: Location) -> tuple[float, float]:
        """(x, y) in the drawing, rounded to a tenth of a pixel."""
        x = (
            MAP_WIDTH / 2
            + (place.longitude - self.middle_longitude) * self.east_factor * self.scale
        )
        y = MAP_HEIGHT / 2 - (place.latitude - self.middle_latitude) * self.scale
        return round(x, 1), round(y, 1)


def projection(places: Sequence[Location]) -> Projection | None:
    """The projection that fits `places`; None when there are none."""
    if not places:
        return None
    south = min(place.latitude for place in places)
    north = max(place.latitude for place in places)
    west = min(place.longitude for place in places)
    east = max(place.longitude for place in places)
    middle = (south + north) / 2
    factor = math.cos(math.radians(middle))
    fits = [
        (size - 2 * MARGIN) / span
        for size, span in (
            (MAP_WIDTH, (east - west) * factor),
            (MAP_HEIGHT, north - south),
        )
        if span > 0
    ]
    return Projection(middle, (west + east) / 2, factor, min(fits, default=0.0))


@dataclass(frozen=True, slots=True)
class Dot:
    """One site on the map: its number, rank, place and the words of its title."""

    number: int
    rank: Rank
    place: Location
    title: str


def _dot(dot: Dot, where: Projection) -> str:
    x, y = where.point(dot.place)
    return (
        f'<g class="dot r-{dot.rank}"><title>{escape(dot.title)}</title>'
        f'<use href="#{symbol_id(dot.rank)}" x="{x:g}" y="{y:g}"/>'
        f'<text class="lbl" x="{x + 11:g}" y="{y + 4:g}">{dot.number}</text></g>'
    )


def _scale_bar(where: Projection) -> str:
    """A bar of a round number of kilometres, at most a third of the width."""
    if where.scale <= 0:
        return ""
    px_per_km = where.scale / KM_PER_DEGREE_LATITUDE
    fitting = [km for km in _SCALE_BARS_KM if km * px_per_km <= MAP_WIDTH / 3]
    if not fitting:
        return ""
    km = fitting[-1]
    length = round(km * px_per_km, 1)
    left, base = 12, MAP_HEIGHT - 12
    return (
        f'<g class="scale"><path d="M{left} {base - 5}V{base}H{left + length:g}'
        f'V{base - 5}" fill="none" stroke="#111111" stroke-width="2"/>'
        f'<text x="{left + length + 6:g}" y="{base:g}">{km} km</text></g>'
    )


def _north(label: str) -> str:
    x = MAP_WIDTH - 20
    return (
        f'<g class="north"><path d="M{x} 12L{x + 6} 28H{x - 6}Z" fill="#111111"/>'
        f'<text x="{x}" y="44" text-anchor="middle">{escape(label)}</text></g>'
    )


def map_svg(dots: Sequence[Dot], *, title: str, description: str, north: str) -> str:
    """The map of `dots` (the region's order, worst first); "" when none is placed."""
    where = projection([dot.place for dot in dots])
    if where is None:
        return ""
    # The worst last: drawn on top of the others.
    drawn = "".join(_dot(dot, where) for dot in reversed(dots))
    return (
        f'<svg class="map" viewBox="0 0 {MAP_WIDTH} {MAP_HEIGHT}" role="img" '
        'aria-labelledby="map-title map-desc">'
        f'<title id="map-title">{escape(title)}</title>'
        f'<desc id="map-desc">{escape(description)}</desc>'
        f'<rect class="bg" x="0" y="0" width="{MAP_WIDTH}" height="{MAP_HEIGHT}" '
        'fill="#f3f5f7" stroke="#bbbbbb"/>'
        f"{_north(north)}{_scale_bar(where)}{drawn}</svg>"
    )
