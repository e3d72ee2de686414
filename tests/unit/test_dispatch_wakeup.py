"""The dispatcher's wait: an update stored while it looks at the inbox is taken at once."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from bot.runtime import app as app_module


def test_an_update_stored_while_the_dispatcher_looks_is_not_left_waiting(monkeypatch) -> None:
    # Longer than the test may take: only a wake-up can start the second look in time.
    monkeypatch.setattr(app_module, "IDLE_CHECK", 60.0)

    async def main() -> int:
        loop = asyncio.get_running_loop()
        looks: list[int] = []
        app = SimpleNamespace(
            stop_event=asyncio.Event(),
            inbox_event=asyncio.Event(),
            outbox_event=asyncio.Event(),
            media_event=asyncio.Event(),
        )

        def process_pending(_limit: int, _after_each: object) -> int:
            looks.append(1)
            if len(looks) == 1:
                # The intake stores an update after this look's query found the inbox empty.
                loop.call_soon_threadsafe(app.inbox_event.set)
            else:
                loop.call_soon_threadsafe(app.stop_event.set)
                loop.call_soon_threadsafe(app.inbox_event.set)
            return 0

        app.dispatcher = SimpleNamespace(process_pending=process_pending)
        await asyncio.wait_for(app_module._dispatch_loop(app), 20)  # type: ignore[arg-type]
        return len(looks)

    try:
        assert asyncio.run(main()) == 2
    except TimeoutError:
        pytest.fail("the update stored during a look waited for IDLE_CHECK")
