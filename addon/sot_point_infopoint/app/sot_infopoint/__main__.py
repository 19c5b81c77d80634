"""`python -m sot_infopoint`: run the info point until SIGTERM or Ctrl-C."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys

from .app import run_forever
from .region_app import infopoint_for
from .settings import settings_from_args


async def _main() -> None:
    settings = settings_from_args()
    task = asyncio.create_task(run_forever(settings, infopoint_for))
    loop = asyncio.get_running_loop()
    # The Supervisor stops an add-on with SIGTERM; the state is saved on the way out.
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, task.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await task


def main() -> None:
    """Log to stdout (the add-on's log tab) and run."""
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stdout,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    asyncio.run(_main())


if __name__ == "__main__":
    main()
