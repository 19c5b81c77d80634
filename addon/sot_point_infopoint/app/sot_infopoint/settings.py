"""The add-on's options (/data/options.json) and how the app is started.

As an add-on the Supervisor writes the options the association chose to
/data/options.json and hands over `SUPERVISOR_TOKEN`; standalone (the demo and
the tests) the same settings come from the command line and the environment.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
import json
import os
from pathlib import Path
from typing import Any, Final, Literal
from urllib.parse import urlsplit, urlunsplit

from .texts import LANGUAGES, Lang

SUPERVISOR_WS_URL: Final = "ws://supervisor/core/websocket"
SUPERVISOR_INGRESS_PEER: Final = "172.30.32.2"
ADDON_DATA_DIR: Final = Path("/data")
OFFERS: Final = (
    "store",
    "fuel_pump",
    "warm_room",
    "phone_charging",
    "information_point",
)


DEFAULT_STATUS_TIMEOUT_MIN: Final = 5.0

# What the add-on follows: one site (its info page) or a region (the county's
# overview of every site).
type Mode = Literal["site", "region"]
MODES: Final[tuple[Mode, ...]] = ("site", "region")


@dataclass(frozen=True, slots=True)
class Options:
    """What the association set in the add-on's configuration tab."""

    site_entry_id: str | None = None
    offers: tuple[str, ...] = OFFERS
    show_fuel_autonomy: bool = False
    # /healthz answers 503 after this long without a status from Home Assistant.
    status_timeout_minutes: float = DEFAULT_STATUS_TIMEOUT_MIN
    wifi_name: str | None = None
    public_url: str | None = None
    language: Lang = "sv"
    mode: Mode = "site"
    region_entry_id: str | None = None

    @property
    def entry_id(self) -> str | None:
        """The config entry the add-on follows in its mode; None: the only one."""
        return self.region_entry_id if self.mode == "region" else self.site_entry_id


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the app needs to run."""

    ws_url: str
    token: str
    data_dir: Path
    options: Options = field(default_factory=Options)
    bind: str = "0.0.0.0"  # noqa: S104 - the public page is meant to be reached
    port: int = 8080
    ingress_port: int | None = 8099
    ingress_peer: str = SUPERVISOR_INGRESS_PEER


def options_from(raw: Mapping[str, Any]) -> Options:
    """Options from the Supervisor's options.json; unknown keys are ignored."""
    offers = raw.get("offers") or {}
    language = raw.get("language", "sv")
    mode = raw.get("mode", "site")
    return Options(
        site_entry_id=_text(raw.get("site_entry_id")),
        offers=tuple(name for name in OFFERS if offers.get(name, True)),
        show_fuel_autonomy=bool(raw.get("show_fuel_autonomy", False)),
        status_timeout_minutes=_minutes(raw.get("status_timeout_minutes")),
        wifi_name=_text(raw.get("wifi_name")),
        public_url=_text(raw.get("public_url")),
        language=language if language in LANGUAGES else "sv",
        mode="region" if mode == "region" else "site",
        region_entry_id=_text(raw.get("region_entry_id")),
    )


def load_options(path: Path | None) -> Options:
    """Read the options file; the defaults when there is none."""
    if path is None or not path.exists():
        return Options()
    raw = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict):
        msg = f"{path}: expected a JSON object"
        raise TypeError(msg)
    return options_from(raw)


def websocket_url(ha_url: str) -> str:
    """Home Assistant's websocket address from its base URL (or as given)."""
    parts = urlsplit(ha_url)
    if parts.scheme in ("ws", "wss"):
        return ha_url
    if parts.scheme not in ("http", "https"):
        msg = f"not an http(s) or ws(s) URL: {ha_url}"
        raise ValueError(msg)
    scheme = "wss" if parts.scheme == "https" else "ws"
    path = parts.path.rstrip("/") + "/api/websocket"
    return urlunsplit((scheme, parts.netloc, path, "", ""))


def parser() -> argparse.ArgumentParser:
    """The command line of `python -m sot_infopoint`."""
    cli = argparse.ArgumentParser(
        prog="sot_infopoint",
        description="SOT Point info point: the page residents read during a "
        "power cut. As an add-on it needs no arguments.",
    )
    cli.add_argument(
        "--ha-url",
        default=os.environ.get("HA_URL"),
        help="Home Assistant's URL, e.g. http://127.0.0.1:8123 (env HA_URL); "
        "without it, the Supervisor's proxy",
    )
    cli.add_argument(
        "--token",
        default=None,
        help="a long-lived access token (better: env HA_TOKEN, which `ps` "
        "does not show); as an add-on, SUPERVISOR_TOKEN",
    )
    cli.add_argument(
        "--mode",
        choices=MODES,
        help="follow one site (its info page) or a region (the overview); "
        "default: the options' mode, else site",
    )
    cli.add_argument(
        "--entry-id",
        help="the config entry id of the site, or of the region in region mode",
    )
    cli.add_argument("--options", type=Path, help="options.json to read")
    cli.add_argument("--data-dir", type=Path, help="where the last state is kept")
    cli.add_argument("--bind", default="0.0.0.0", help="address to listen on")  # noqa: S104
    cli.add_argument("--port", type=int, default=8080, help="public page port")
    cli.add_argument(
        "--ingress-port",
        type=int,
        default=8099,
        help="admin view port, reached through Home Assistant's ingress (0: off)",
    )
    cli.add_argument(
        "--ingress-peer",
        default=SUPERVISOR_INGRESS_PEER,
        help="the only address the admin view answers",
    )
    return cli


def settings_from_args(
    argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Settings from the command line and the environment."""
    env = os.environ if environ is None else environ
    args = parser().parse_args(argv)
    supervisor_token = env.get("SUPERVISOR_TOKEN")
    token = args.token or env.get("HA_TOKEN") or supervisor_token
    if not token:
        msg = "no token: pass --token or set HA_TOKEN (an add-on gets SUPERVISOR_TOKEN)"
        raise SystemExit(msg)
    ws_url = websocket_url(args.ha_url) if args.ha_url else SUPERVISOR_WS_URL
    data_dir = args.data_dir or (
        ADDON_DATA_DIR if ADDON_DATA_DIR.is_dir() else Path("infopoint-data")
    )
    options_path = args.options or data_dir / "options.json"
    options = load_options(options_path)
    if args.mode:
        options = replace(options, mode=args.mode)
    if args.entry_id and options.mode == "region":
        options = replace(options, region_entry_id=args.entry_id)
    elif args.entry_id:
        options = replace(options, site_entry_id=args.entry_id)
    return Settings(
        ws_url=ws_url,
        token=token,
        data_dir=data_dir,
        options=options,
        bind=args.bind,
        port=args.port,
        ingress_port=args.ingress_port or None,
        ingress_peer=args.ingress_peer,
    )


def _text(value: Any) -> str | None:
    if value is None:
        return None
    stripped = str(value).strip()
    return stripped or None


def _minutes(value: Any) -> float:
    """A positive number of minutes; the default for anything else."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value)
    return DEFAULT_STATUS_TIMEOUT_MIN
