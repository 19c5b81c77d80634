"""scripts/demo: a storm at a simulated SOT point, in a real Home Assistant."""
