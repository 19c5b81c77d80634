"""The add-on's files, checked by the Supervisor's own rules.

A config.yaml the Supervisor cannot read does not fail loudly: the store logs
a warning and leaves the add-on out. So the rules are checked here, copied
from the Supervisor's source (supervisor/apps/validate.py, options.py,
const.py as of 2026) rather than made up.
"""

from __future__ import annotations

from pathlib import Path
import re
from typing import Any

from awesomeversion import AwesomeVersion
from homeassistant.util.yaml import load_yaml
import pytest

REPO = Path(__file__).resolve().parents[2]
ADDON = REPO / "addon" / "sot_point_infopoint"

# supervisor/apps/const.py
RE_SLUG = re.compile(r"^[-_.A-Za-z0-9]+$")
# supervisor/apps/options.py
RE_SCHEMA_ELEMENT = re.compile(
    r"^(?:"
    r"|bool"
    r"|email"
    r"|url"
    r"|port"
    r"|device(?:\((?P<filter>subsystem=[a-z]+)\))?"
    r"|str(?:\((?P<s_min>\d+)?,(?P<s_max>\d+)?\))?"
    r"|password(?:\((?P<p_min>\d+)?,(?P<p_max>\d+)?\))?"
    r"|int(?:\((?P<i_min>-?\d+)?,(?P<i_max>-?\d+)?\))?"
    r"|float(?:\((?P<f_min>-?\d*\.?\d+)?,(?P<f_max>-?\d*\.?\d+)?\))?"
    r"|match\((?P<match>.*)\)"
    r"|list\((?P<list>.+)\)"
    r")\??$"
)
# supervisor/apps/validate.py
RE_WATCHDOG = re.compile(
    r"^(?:https?|\[PROTO:\w+\]|tcp):\/\/\[HOST\]:(\[PORT:\d+\]|\d+).*$"
)
RE_WEBUI = re.compile(r"^(?:https?|\[PROTO:\w+\]):\/\/\[HOST\]:\[PORT:\d+\].*$")
# supervisor/validate.py (docker ports)
RE_DOCKER_PORT = re.compile(r"^\d+(?:/(?:tcp|udp))?$")
# supervisor/const.py: ARCH_ALL; armhf, armv7 and i386 are deprecated.
ARCHES = {"aarch64", "amd64"}
REQUIRED = ("name", "version", "slug", "description", "arch")
STARTUP = {"initialize", "system", "services", "application", "once"}
BOOT = {"auto", "manual", "manual_only"}


def _load(path: Path) -> Any:
    # Home Assistant's own YAML loader (safe; the project has no yaml stubs).
    return load_yaml(path)


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    """The add-on's config.yaml."""
    loaded: dict[str, Any] = _load(ADDON / "config.yaml")
    return loaded


def schema_problems(schema: dict[str, Any], path: str = "") -> list[str]:
    """Schema entries the Supervisor would not accept (nesting depth 2)."""
    problems = []
    for key, value in schema.items():
        where = f"{path}{key}"
        if isinstance(value, dict):
            if path:
                problems.append(f"{where}: nested deeper than the Supervisor reads")
            problems += schema_problems(value, f"{where}.")
        elif isinstance(value, list):
            problems += [
                f"{where}: list of {item!r}"
                for item in value
                if not isinstance(item, str | dict)
            ]
        elif not isinstance(value, str) or not RE_SCHEMA_ELEMENT.match(value):
            problems.append(f"{where}: {value!r} is not a schema type")
    return problems


def _value_fits(kind: str, value: Any) -> bool:
    kind = kind.removesuffix("?")
    if kind == "bool":
        return isinstance(value, bool)
    if kind.startswith("list("):
        return value in kind[5:-1].split("|")
    if kind.startswith(("str", "url", "password", "email", "match")):
        return isinstance(value, str)
    if kind.startswith(("int", "port")):
        return isinstance(value, int) and not isinstance(value, bool)
    if kind.startswith("float"):
        return isinstance(value, int | float) and not isinstance(value, bool)
    return True


def options_problems(
    options: dict[str, Any], schema: dict[str, Any], path: str = ""
) -> list[str]:
    """Options without schema, required entries without option, bad values."""
    problems = [
        f"{path}{key}: option without schema" for key in options if key not in schema
    ]
    for key, kind in schema.items():
        where = f"{path}{key}"
        if key not in options:
            required = isinstance(kind, dict) or not str(kind).endswith("?")
            if required:
                problems.append(f"{where}: required by the schema, no default option")
            continue
        if isinstance(kind, dict):
            problems += options_problems(options[key], kind, f"{where}.")
        elif not _value_fits(str(kind), options[key]):
            problems.append(f"{where}: {options[key]!r} is not a {kind}")
    return problems


def test_required_keys_and_their_form(config: dict[str, Any]) -> None:
    """name, version, slug, description, arch; slug and version well formed."""
    assert [key for key in REQUIRED if not config.get(key)] == []
    assert RE_SLUG.match(config["slug"])
    assert config["slug"] == "sot_point_infopoint" == ADDON.name
    assert isinstance(config["version"], str)
    assert AwesomeVersion(config["version"]).valid
    assert set(config["arch"]) <= ARCHES
    assert config["startup"] in STARTUP
    assert config["boot"] in BOOT
    assert AwesomeVersion(config["homeassistant"]) <= AwesomeVersion("2026.10.4")


def test_version_matches_the_app_and_changelog(config: dict[str, Any]) -> None:
    """One version in config.yaml, the package and the changelog's top entry."""
    from sot_infopoint import __version__  # noqa: PLC0415

    assert config["version"] == __version__
    changelog = (ADDON / "CHANGELOG.md").read_text(encoding="utf-8")
    first = re.search(r"^## (\S+)", changelog, re.MULTILINE)
    assert first is not None
    assert first.group(1) == __version__


def test_ports_ingress_and_watchdog(config: dict[str, Any]) -> None:
    """One published port, ingress on 8099, a watchdog on the public port."""
    ports = config["ports"]
    assert len(ports) == 1
    for key, value in ports.items():
        assert RE_DOCKER_PORT.match(key), key
        assert value is None or 1 <= value <= 65535
    assert set(config["ports_description"]) == set(ports)
    assert config["ingress"] is True
    assert config["ingress_port"] == 8099
    assert "8099/tcp" not in ports  # ingress is reached through HA only
    assert RE_WATCHDOG.match(config["watchdog"])
    assert RE_WEBUI.match(config["webui"])
    assert config["watchdog"].endswith("/healthz")
    assert config["init"] is False  # the base image's s6-overlay is PID 1
    assert config["homeassistant_api"] is True
    assert "hassio_api" not in config  # reads HA only, needs no Supervisor API


def test_schema_and_options_agree(config: dict[str, Any]) -> None:
    """Every schema entry is valid; options and schema match both ways."""
    assert schema_problems(config["schema"]) == []
    assert options_problems(config["options"], config["schema"]) == []


def test_the_validator_catches_mistakes() -> None:
    """The checks above would notice the usual mistakes."""
    assert schema_problems({"a": "string", "b": "str=default", "c": "bool"}) == [
        "a: 'string' is not a schema type",
        "b: 'str=default' is not a schema type",
    ]
    assert schema_problems({"a": {"b": {"c": "bool"}}}) == [
        "a.b: nested deeper than the Supervisor reads"
    ]
    assert options_problems(
        {"x": 1, "lang": "de"}, {"lang": "list(sv|en)", "y": "int"}
    ) == [
        "x: option without schema",
        "lang: 'de' is not a list(sv|en)",
        "y: required by the schema, no default option",
    ]


def _translation_keys(config: dict[str, Any], language: str) -> None:
    translation = _load(ADDON / "translations" / f"{language}.yaml")
    configuration = translation["configuration"]
    schema = config["schema"]
    assert set(configuration) == set(schema), language
    for key, entry in configuration.items():
        assert entry["name"], (language, key)
        assert entry["description"], (language, key)
        if isinstance(schema[key], dict):
            assert set(entry["fields"]) == set(schema[key]), (language, key)
            for field, text in entry["fields"].items():
                assert text["name"], (language, key, field)
                assert text["description"], (language, key, field)
    assert set(translation["network"]) == set(config["ports"]), language


@pytest.mark.parametrize("language", ["en", "sv"])
def test_translations_match_schema_and_ports(
    config: dict[str, Any], language: str
) -> None:
    """Each option and each port has a name and a description, in en and sv."""
    _translation_keys(config, language)


def test_repository_and_app_files() -> None:
    """repository.yaml at the root; the files the store and the builder read."""
    repository = _load(REPO / "repository.yaml")
    assert repository["name"]
    for name in (
        "config.yaml",
        "Dockerfile",
        "DOCS.md",
        "README.md",
        "CHANGELOG.md",
        "icon.png",
        "logo.png",
    ):
        assert (ADDON / name).is_file(), name
    # The Supervisor searches recursively: no other file may be called config.yaml.
    assert [p for p in ADDON.rglob("config.y*ml") if p != ADDON / "config.yaml"] == []


def test_dockerfile_builds_from_the_python_base_image() -> None:
    """BUILD_FROM with a pinned default, explicit FROM, labels, the app installed."""
    dockerfile = (ADDON / "Dockerfile").read_text(encoding="utf-8")
    assert (
        "ARG BUILD_FROM=ghcr.io/home-assistant/base-python:3.14-alpine3.24"
        in dockerfile
    )
    assert "FROM ${BUILD_FROM}" in dockerfile
    assert "io.hass.type" in dockerfile
    assert "io.hass.version" in dockerfile
    assert "org.opencontainers.image.title" in dockerfile
    assert "pip install" in dockerfile
    assert 'CMD ["python3", "-m", "sot_infopoint"]' in dockerfile


def test_requirements_pin_what_the_tests_run() -> None:
    """aiohttp at HA's pin (the version these tests ran with), segno pinned."""
    import aiohttp  # noqa: PLC0415
    import segno  # noqa: PLC0415

    pins = dict(
        line.split("==")
        for line in (ADDON / "requirements.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    )
    assert pins["aiohttp"] == aiohttp.__version__ == "3.14.5"
    assert pins["segno"] == segno.__version__
    assert "tzdata" in pins


def test_icons_are_pngs() -> None:
    """icon.png is square; logo.png is wider than tall."""
    from PIL import Image  # noqa: PLC0415

    with Image.open(ADDON / "icon.png") as icon:
        assert icon.format == "PNG"
        assert icon.size[0] == icon.size[1]
    with Image.open(ADDON / "logo.png") as logo:
        assert logo.format == "PNG"
        assert logo.size[0] > logo.size[1]
