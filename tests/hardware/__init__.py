"""Tests of the hardware layer that need no network and no Home Assistant."""
