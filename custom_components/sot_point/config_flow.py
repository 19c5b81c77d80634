"""Config flow for SOT Point: one config entry per site."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult
from homeassistant.helpers.selector import TextSelector
import probatio as vol

from .const import CONF_SITE_NAME, DOMAIN

SITE_SCHEMA = vol.Schema({vol.Required(CONF_SITE_NAME): TextSelector()})


class SotPointConfigFlow(ConfigFlow, domain=DOMAIN):
    """Create a site; its devices are added to it afterwards."""

    VERSION = 1

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the site's name."""
        errors: dict[str, str] = {}
        if user_input is not None:
            name = str(user_input[CONF_SITE_NAME]).strip()
            if not name:
                errors[CONF_SITE_NAME] = "name_required"
            else:
                await self.async_set_unique_id(name.casefold())
                self._abort_if_unique_id_configured()
                return self.async_create_entry(title=name, data={CONF_SITE_NAME: name})
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(SITE_SCHEMA, user_input),
            errors=errors,
        )
