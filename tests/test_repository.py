"""Files that HACS and Home Assistant read from the repository."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from awesomeversion import AwesomeVersion

REPO = Path(__file__).resolve().parent.parent
INTEGRATION = REPO / "custom_components" / "sot_point"


def _keys(tree: dict[str, Any], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for key, value in tree.items():
        path = f"{prefix}.{key}" if prefix else key
        keys |= _keys(value, path) if isinstance(value, dict) else {path}
    return keys


def test_manifest_is_installable_next_to_ha() -> None:
    """The manifest has what HA and HACS demand, and admits HA's pymodbus pin."""
    manifest = json.loads((INTEGRATION / "manifest.json").read_text())
    for key in ("domain", "name", "version", "documentation", "issue_tracker"):
        assert manifest[key], key
    assert manifest["domain"] == "sot_point"
    assert manifest["config_flow"] is True
    assert AwesomeVersion(manifest["version"]).valid
    (requirement,) = [r for r in manifest["requirements"] if r.startswith("pymodbus")]
    from packaging.specifiers import SpecifierSet  # noqa: PLC0415

    assert "3.13.1" in SpecifierSet(requirement.removeprefix("pymodbus"))


def test_hacs_json_names_a_minimum_version() -> None:
    """hacs.json carries the name and the oldest HA we test on."""
    hacs = json.loads((REPO / "hacs.json").read_text())
    assert hacs["name"] == "SOT Point"
    assert AwesomeVersion(hacs["homeassistant"]) <= AwesomeVersion("2026.10.4")


def test_translations_cover_the_same_strings() -> None:
    """English and Swedish carry every key of strings.json, no more, no less."""
    source = json.loads((INTEGRATION / "strings.json").read_text())
    for language in ("en", "sv"):
        translated = json.loads(
            (INTEGRATION / "translations" / f"{language}.json").read_text()
        )
        assert _keys(translated) == _keys(source), language
    english = json.loads((INTEGRATION / "translations" / "en.json").read_text())
    assert english == source
