"""scripts/demo: bring up a storm at a simulated SOT point in a real Home Assistant.

Starts the simulator, a fresh Home Assistant onboarded through its API, the
integration set up through the config flow API as a technician would, the
blueprints' automations, a dashboard and the info page; prints the URLs; and
on Ctrl-C stops everything it started.
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import json
from pathlib import Path
import signal
import sys
import time

import aiohttp

from .ha import (
    REPO,
    TESTED_VERSION,
    DemoUser,
    HomeAssistantApi,
    home_assistant_python,
    start_home_assistant,
    supported_versions,
    wait_for_onboarding,
    write_config,
)
from .processes import Children, DemoError, check_ports, wait_for_port
from .region import (
    REGION_NAME,
    set_up_mqtt,
    set_up_region,
    start_broker,
    start_publishers,
    start_region_page,
    turn_on_uplink,
)
from .setup_site import (
    SITE_NAME,
    close_store_for_the_night,
    set_up_automations,
    set_up_dashboard,
    set_up_site,
)

STATE_DIR = REPO / ".demo"
OFFERS = ("store", "fuel_pump", "warm_room", "phone_charging", "information_point")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scripts/demo",
        description="A storm at a simulated SOT point, in a real Home Assistant.",
    )
    parser.add_argument(
        "--scenario",
        default="demo",
        help="simulator scenario (demo; `scripts/sim --list` shows the others)",
    )
    parser.add_argument(
        "--speed", type=float, default=1.0, help="simulated seconds per second (1)"
    )
    parser.add_argument(
        "--ha-port", type=int, default=8123, help="Home Assistant's port (8123)"
    )
    parser.add_argument(
        "--sim-port", type=int, default=5020, help="the simulator's Modbus port (5020)"
    )
    parser.add_argument(
        "--page-port", type=int, default=8080, help="the info page's port (8080)"
    )
    parser.add_argument(
        "--ingress-port",
        type=int,
        default=8099,
        help="the info page's admin view, reached through ingress (8099)",
    )
    parser.add_argument(
        "--ha-version",
        default=TESTED_VERSION,
        choices=supported_versions(),
        help=f"the Home Assistant release to run ({TESTED_VERSION}, the tested one)",
    )
    parser.add_argument(
        "--region",
        type=int,
        default=0,
        metavar="N",
        help="also the county's view: N simulated sites publishing over MQTT "
        "next to this one, a region entry and the regional page (0: none)",
    )
    parser.add_argument(
        "--mqtt-port", type=int, default=1883, help="Mosquitto's port (1883)"
    )
    parser.add_argument(
        "--official-port",
        type=int,
        default=8091,
        help="the stand-in for Krisinformation's API (8091; the demo has no "
        "internet, so official information comes from demo/krisinformation)",
    )
    parser.add_argument(
        "--region-page-port",
        type=int,
        default=8081,
        help="the regional page's port, with --region (8081)",
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=STATE_DIR,
        help="config, logs and lock (.demo)",
    )
    return parser


def _lock(state_dir: Path) -> object:
    """Hold the demo lock, or say that a demo is already running."""
    state_dir.mkdir(parents=True, exist_ok=True)
    handle = (state_dir / "demo.lock").open("w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        msg = "a demo is already running (stop it with Ctrl-C in its terminal)"
        raise DemoError(msg) from None
    return handle


async def _bring_up(args: argparse.Namespace, children: Children) -> dict[str, str]:
    python = sys.executable
    started = time.monotonic()
    simulator = children.start(
        "simulator",
        [
            python,
            "-m",
            "simulator",
            "--scenario",
            args.scenario,
            "--speed",
            str(args.speed),
            "--port",
            str(args.sim_port),
            "--status-interval",
            "10",
        ],
    )
    await wait_for_port(args.sim_port, 30, simulator)
    official = children.start(
        "krisinformation",
        [
            python,
            "-m",
            "simulator.krisinformation",
            "--port",
            str(args.official_port),
            "--recordings",
            str(Path(__file__).parent / "krisinformation"),
        ],
    )
    await wait_for_port(args.official_port, 30, official)
    official_url = f"http://127.0.0.1:{args.official_port}/v3"

    config_dir = args.state_dir / "config"
    write_config(config_dir, args.ha_port)
    hass = start_home_assistant(
        children, config_dir, home_assistant_python(args.ha_version)
    )
    await wait_for_onboarding(hass, args.ha_port)
    base = f"http://127.0.0.1:{args.ha_port}"
    user = DemoUser()
    async with aiohttp.ClientSession() as session:
        api = HomeAssistantApi(session, base)
        await api.onboard(user)
        await api.confirm_http_config(config_dir)
        entry_id = await set_up_site(api, args.sim_port, official_url)
        await set_up_automations(api, entry_id)
        await close_store_for_the_night(api, entry_id)
        await set_up_dashboard(api)
        await api.remove_online_integrations()
        token = await _long_lived_token(api)
    page_url = f"http://127.0.0.1:{args.page_port}"
    options = args.state_dir / "infopage-options.json"
    options.write_text(
        json.dumps(
            {
                "site_entry_id": entry_id,
                "offers": dict.fromkeys(OFFERS, True),
                "show_fuel_autonomy": True,
                "wifi_name": "SOT-punkt Kall",
                "public_url": page_url + "/",
                "language": "sv",
            }
        )
    )
    page = children.start(
        "infopage",
        [
            python,
            "-m",
            "sot_infopoint",
            "--ha-url",
            base,
            "--options",
            str(options),
            "--data-dir",
            str(args.state_dir / "infopage"),
            "--bind",
            "127.0.0.1",
            "--port",
            str(args.page_port),
            "--ingress-port",
            str(args.ingress_port),
            "--ingress-peer",
            "127.0.0.1",
        ],
        # The token goes in the environment, where `ps` does not show it.
        env={
            "HA_TOKEN": token,
            "PYTHONPATH": str(REPO / "addon" / "sot_point_infopoint" / "app"),
        },
    )
    await wait_for_port(args.page_port, 60, page)
    urls = {
        "Home Assistant": (
            f"{base}  ({args.ha_version}; user {user.username}, "
            f"password {user.password})"
        ),
        "Dashboard": f"{base}/sot-point/0",
        "Info page": f"{page_url}/",
        "Kiosk": f"{page_url}/kiosk",
        "Notice (print)": f"{page_url}/notice",
        "status.json": f"{page_url}/status.json",
        "Ready after": f"{time.monotonic() - started:.0f} s",
        "Site": SITE_NAME,
    }
    if args.region:
        urls |= await _bring_up_region(args, children, base, token, entry_id)
        urls["Ready after"] = f"{time.monotonic() - started:.0f} s"
    return urls


async def _bring_up_region(
    args: argparse.Namespace,
    children: Children,
    base: str,
    token: str,
    site_entry_id: str,
) -> dict[str, str]:
    """Mosquitto, MQTT, the site's uplink, N publishers, a region, its page."""
    start_broker(children, args.state_dir / "mosquitto", args.mqtt_port)
    await wait_for_port(args.mqtt_port, 30, children.children[-1].process)
    async with aiohttp.ClientSession() as session:
        api = HomeAssistantApi(session, base)
        api.token = token
        await set_up_mqtt(api, args.mqtt_port)
        await turn_on_uplink(api, site_entry_id)
        region_entry_id = await set_up_region(api)
    # The demo's own site is Kall: the simulated ones start after it.
    start_publishers(children, args.mqtt_port, args.region, skip=1)
    page_url = f"http://127.0.0.1:{args.region_page_port}"
    await start_region_page(
        children,
        ha_url=base,
        token=token,
        region_entry_id=region_entry_id,
        state_dir=args.state_dir,
        port=args.region_page_port,
        ingress_port=args.ingress_port - 1,
    )
    return {
        "MQTT broker": f"mqtt://127.0.0.1:{args.mqtt_port}  (sot/23/#)",
        "Regional page": f"{page_url}/",
        "Regional kiosk": f"{page_url}/kiosk",
        "Region": f"{REGION_NAME}: {args.region} simulated sites and {SITE_NAME}",
    }


async def _long_lived_token(api: HomeAssistantApi) -> str:
    (token,) = await api.websocket(
        [
            {
                "type": "auth/long_lived_access_token",
                "client_name": "SOT info page",
                "lifespan": 365,
            }
        ]
    )
    return str(token)


def _print_block(urls: dict[str, str]) -> None:
    width = max(len(k) for k in urls)
    print("\nSOT Point demo is running. Ctrl-C stops everything.\n")
    for key, value in urls.items():
        print(f"  {key:<{width}}  {value}")
    print(flush=True)


def _watch(children: Children) -> None:
    """Until Ctrl-C: keep the demo's programs running, or say which one died."""
    while signal.sigtimedwait({signal.SIGINT, signal.SIGTERM}, 1.0) is None:
        if stopped := children.check():
            raise DemoError("; ".join(stopped))


def main() -> int:
    """Run the demo until Ctrl-C; 1 with a one-line reason when it cannot start."""
    args = _parser().parse_args()
    children = Children(args.state_dir)
    lock: object = None
    try:
        lock = _lock(args.state_dir)
        check_ports(
            {
                "ha": args.ha_port,
                "sim": args.sim_port,
                "page": args.page_port,
                "ingress": args.ingress_port,
                "krisinformation": args.official_port,
            }
            | (
                {
                    "mqtt": args.mqtt_port,
                    "region page": args.region_page_port,
                    "region ingress": args.ingress_port - 1,
                }
                if args.region
                else {}
            )
        )
        urls = asyncio.run(_bring_up(args, children))
        # From here on a signal is awaited, not raised: the stop below then
        # runs once, whichever signal came.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        _print_block(urls)
        _watch(children)
    except DemoError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    finally:
        print("stopping…", flush=True)
        children.stop_all()
        del lock
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    sys.exit(main())
