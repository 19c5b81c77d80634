"""Files that HACS and Home Assistant read from the repository."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from awesomeversion import AwesomeVersion

from demo.ha import supported_versions

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
    oldest = AwesomeVersion(min(supported_versions(), key=AwesomeVersion))
    assert AwesomeVersion(hacs["homeassistant"]) <= oldest
    assert AwesomeVersion(hacs["homeassistant"]).section(1) == oldest.section(1)


def test_readme_states_the_releases_we_check() -> None:
    """The README's table gives the range the release check covers."""
    readme = (REPO / "README.md").read_text()
    (row,) = [
        line for line in readme.splitlines() if line.startswith("| Home Assistant")
    ]
    tested, *newer = supported_versions()
    newest = newer[-1] if newer else tested
    assert f"{_release(tested)} to {_release(newest)}" in row
    assert all(version in row for version in supported_versions())


def _release(version: str) -> str:
    """2026.10.4 -> 2026.10."""
    return ".".join(version.split(".")[:2])


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


def test_documents_link_only_to_files_that_exist() -> None:
    """Every picture and file the README and add-on docs point at is there.

    A renamed screenshot or script would otherwise leave the first page a
    new user reads with a broken image or a command that is not there.
    """
    import re  # noqa: PLC0415

    documents = [REPO / "README.md", REPO / "addon" / "sot_point_infopoint" / "DOCS.md"]
    missing = []
    for document in documents:
        text = document.read_text()
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if "://" in target or target.startswith("mailto:"):
                continue
            if not (document.parent / target).exists():
                missing.append(f"{document.name}: {target}")
    assert missing == []


def test_demo_requirements_match_home_assistants_pins() -> None:
    """The audio packages the demo builds are the ones HA itself asks for."""
    from importlib.util import find_spec  # noqa: PLC0415

    # Found, not imported: importing it needs the very packages checked here.
    spec = find_spec("homeassistant.components.assist_pipeline")
    assert spec is not None
    assert spec.submodule_search_locations is not None
    folder = Path(next(iter(spec.submodule_search_locations)))
    manifest = json.loads((folder / "manifest.json").read_text())
    lines = (REPO / "requirements_demo.txt").read_text().splitlines()
    pinned = {line.strip() for line in lines if "==" in line}
    assert set(manifest["requirements"]) <= pinned
