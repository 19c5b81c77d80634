"""SOT Point info point: the page residents read during a power cut.

An aiohttp app that follows one SOT Point site through Home Assistant's
websocket API (`sot_point/subscribe_site`), keeps the last state on disk and
serves a pre-rendered, read-only page on a public port, with an admin view
behind Home Assistant's ingress. In region mode it follows a region
(`sot_point/subscribe_region`) and serves the county's overview instead.
"""

__version__ = "0.2.0"
