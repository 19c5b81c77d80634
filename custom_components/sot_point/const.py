"""Constants for the SOT Point integration."""

from __future__ import annotations

import logging
from typing import Final

DOMAIN: Final = "sot_point"
LOGGER: Final = logging.getLogger(__package__)

CONF_SITE_NAME: Final = "site_name"
