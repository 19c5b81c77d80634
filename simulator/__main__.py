"""`python -m simulator`: serve a simulated site (see simulator.cli)."""

from __future__ import annotations

from .cli import main

raise SystemExit(main())
