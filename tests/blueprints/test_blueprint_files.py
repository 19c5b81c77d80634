"""Every blueprint passes Home Assistant's own blueprint validation and our rules."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
import re
from typing import Any
from urllib.parse import quote

from homeassistant.components.automation.config import AUTOMATION_BLUEPRINT_SCHEMA
from homeassistant.components.blueprint.models import Blueprint
from homeassistant.const import Platform
from homeassistant.util.yaml import load_yaml_dict
import pytest

from .conftest import BLUEPRINT_FILES, BLUEPRINTS

SOURCE = (
    "https://github.com/sot-point/sot-point/blob/main/blueprints/automation/sot_point/"
)
README = Path(__file__).parents[2] / "README.md"


def _load(name: str) -> Blueprint:
    return Blueprint(
        load_yaml_dict(str(BLUEPRINTS / name)),
        expected_domain="automation",
        schema=AUTOMATION_BLUEPRINT_SCHEMA,
    )


def _sections(blueprint: Blueprint) -> dict[str, Any]:
    sections: dict[str, Any] = blueprint.data["blueprint"]["input"]
    return sections


def _as_list(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else value


def test_the_four_blueprints_are_there() -> None:
    """The four automations of issue 7, and nothing else."""
    assert BLUEPRINT_FILES == [
        "larm_och_eskalering.yaml",
        "provkorning.yaml",
        "reservkraft_vid_stromavbrott.yaml",
        "varmestuga.yaml",
    ]


@pytest.mark.parametrize("name", BLUEPRINT_FILES)
def test_valid_for_home_assistant_2026_10(name: str) -> None:
    """HA's schema accepts it; it asks for 2026.10 and uses nothing newer."""
    blueprint = _load(name)
    assert blueprint.domain == "automation"
    assert blueprint.metadata["homeassistant"] == {"min_version": "2026.10.0"}
    assert blueprint.metadata["source_url"] == SOURCE + name
    text = (BLUEPRINTS / name).read_text(encoding="utf-8")
    # `visible` (conditional inputs) needs 2026.11; old syntax is not used.
    assert not re.search(r"^\s+visible:", text, re.MULTILINE)
    assert not re.search(r"^\s+-?\s*(platform|service):", text, re.MULTILINE)


@pytest.mark.parametrize("name", BLUEPRINT_FILES)
def test_description_says_what_it_does_and_never_does_swedish_first(
    name: str,
) -> None:
    """One description, Swedish then English, each with its "never" paragraph."""
    blueprint = _load(name)
    # Home Assistant shows the name as it is, in every language: Swedish
    # only, and the English name opens the English half of the description.
    assert " / " not in blueprint.name
    description: str = blueprint.metadata["description"]
    swedish = description.index("**Svenska.**")
    english = description.index("**English.**")
    assert swedish == 0 < english
    assert re.match(r"\*\*English\.\*\* \*[A-Z][^*]+\.\*", description[english:])
    assert "**Den gör aldrig:**" in description[swedish:english]
    assert "**It never:**" in description[english:]


def _fields(blueprint: Blueprint) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every section and every input in it, by key."""
    for key, section in _sections(blueprint).items():
        yield key, section
        yield from section["input"].items()


# `sensor.generator_load`, `switch.x`: an entity id, which means nothing to
# the people who fill in the form.
ENTITY_ID = re.compile(
    r"\b(?:{})\.[a-z0-9_]+".format(
        "|".join(
            sorted(
                {platform.value for platform in Platform}
                | {"input_boolean", "schedule", "person", "notify", "automation"}
            )
        )
    )
)


@pytest.mark.parametrize("name", BLUEPRINT_FILES)
def test_labels_in_swedish_english_in_the_description(name: str) -> None:
    """Labels are Swedish only; each description says it in Swedish, then English.

    Home Assistant does not translate blueprints: a label written "Svenska /
    English" is what a Swedish reader saw on every field. The English label
    opens the English half of the description instead.
    """
    blueprint = _load(name)
    for key, field in _fields(blueprint):
        label: str = field["name"]
        assert " / " not in label, key
        description: str = field["description"]
        swedish, english = description.split("\n*English: ", 1)
        assert swedish.strip(), key
        assert re.match(r"[A-Z][^*]*\.\* \S", english), key
        options = field.get("selector", {}).get("select", {}).get("options", [])
        assert all(" / " not in option["label"] for option in options), key


@pytest.mark.parametrize("name", BLUEPRINT_FILES)
def test_hints_in_words_not_entity_ids(name: str) -> None:
    """No label or description shows an entity id such as `sensor.generator_load`."""
    blueprint = _load(name)
    assert not ENTITY_ID.search(blueprint.metadata["description"])
    for key, field in _fields(blueprint):
        assert not ENTITY_ID.search(field["name"]), key
        assert not ENTITY_ID.search(field["description"]), (key, field["description"])


@pytest.mark.parametrize("name", BLUEPRINT_FILES)
def test_people_are_asked_for_as_phones_in_words(name: str) -> None:
    """The picker says whose phones it wants, not Home Assistant's "device"."""
    blueprint = _load(name)
    (people,) = [
        section["input"]["people"]
        for section in _sections(blueprint).values()
        if "people" in section["input"]
    ]
    assert people["name"].startswith("Telefoner till de ")
    swedish, english = people["description"].split("\n*English: ", 1)
    assert "telefonerna (med Home Assistant-appen) till de " in swedish
    assert english.startswith("Phones of the people ")
    assert "phones (with the Home Assistant app) of the people " in english
    assert "enhet" not in people["name"].lower()


@pytest.mark.parametrize("name", BLUEPRINT_FILES)
def test_inputs_in_sections_with_filtered_selectors(name: str) -> None:
    """Inputs sit in named sections; entities, sites and phones are filtered."""
    blueprint = _load(name)
    for section in _sections(blueprint).values():
        assert set(section) >= {"name", "input"}, section
        for key, field in section["input"].items():
            selector = field["selector"]
            if "entity" in selector:
                filters = selector["entity"]["filter"]
                helpers = [["input_boolean"], ["schedule"]]
                assert all(
                    f.get("integration") == "sot_point"
                    or _as_list(f.get("domain")) in helpers
                    for f in filters
                ), key
            if "config_entry" in selector:
                assert selector["config_entry"] == {"integration": "sot_point"}
            if "device" in selector:
                assert selector["device"]["filter"] == [{"integration": "mobile_app"}]
                assert selector["device"]["multiple"] is True


def test_readme_has_an_import_badge_per_blueprint() -> None:
    """Each blueprint can be imported from the README with one click; a real form."""
    readme = README.read_text(encoding="utf-8")
    start = readme.index("## Blueprints")
    section = readme[start : readme.index("\n## ", start)]
    assert readme.index("## Blueprints") < readme.index("## Licence")
    for name in BLUEPRINT_FILES:
        link = (
            "https://my.home-assistant.io/redirect/blueprint_import/"
            f"?blueprint_url={quote(SOURCE + name, safe='')}"
        )
        assert link in section, name
    image = "docs/images/blueprint_varmestuga_form.png"
    assert f"]({image})" in section
    assert (README.parent / image).stat().st_size > 10_000


@pytest.mark.parametrize("name", BLUEPRINT_FILES)
def test_people_may_be_empty_and_messages_may_show_in_home_assistant(
    name: str,
) -> None:
    """Next to the phones, off by default: also show each message in Home Assistant.

    The phones may be left out altogether (a site without phones).
    """
    blueprint = _load(name)
    (section,) = [
        section["input"]
        for section in _sections(blueprint).values()
        if "people" in section["input"]
    ]
    assert section["people"]["default"] == []
    notify_in_ha = section["notify_in_ha"]
    assert notify_in_ha["name"] == "Visa även i Home Assistant"
    assert notify_in_ha["default"] is False
    assert notify_in_ha["selector"] == {"boolean": {}}
    swedish, english = notify_in_ha["description"].split(
        "\n*English: Also show in Home Assistant.* ", 1
    )
    assert "avisering i Home Assistants sidofält" in swedish
    assert "notification in Home Assistant's sidebar" in english
