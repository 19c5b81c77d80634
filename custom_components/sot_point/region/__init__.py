"""The integration set up as a region: every site of a county, read over MQTT.

A region entry (data["kind"] == "region", see rules/region.py) subscribes
through Home Assistant's MQTT integration to its county's site topics
(docs/mqtt.md) and shows one device per site it hears of. The rules (which
messages it takes, ranks, silence) are HA-free in rules/region.py; this
package is the glue: the hub that receives, the stores, the entities, the
repair that lists silent sites, the websocket subscription and the report.
"""
