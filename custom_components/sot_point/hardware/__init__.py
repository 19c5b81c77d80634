"""Device communication for SOT Point.

This package talks Modbus to the site's hardware and never imports Home
Assistant, so the simulator, the probe CLI and the tests use it as a plain
library, the way core integrations keep theirs on PyPI.
"""
