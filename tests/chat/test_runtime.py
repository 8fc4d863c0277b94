"""Process-wide settings for serving: what `tune_gc` leaves behind; the access log under a
flood of refused requests."""

from __future__ import annotations

import gc
import logging

from chat_server.runtime import YOUNG_THRESHOLD, RefusalsSummarised, tune_gc


def test_tune_gc_freezes_start_up_and_collects_the_young_less_often() -> None:
    before = gc.get_threshold()
    try:
        tune_gc()
        assert gc.get_threshold() == (YOUNG_THRESHOLD, *before[1:])
        assert gc.get_freeze_count() > 0  # start-up's objects: out of every collection
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def access_record(address: str, status: int) -> logging.LogRecord:
    """A record as uvicorn's access logger makes it (uvicorn/protocols/http/*_impl.py)."""
    return logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1,
                             '%s - "%s %s HTTP/%s" %d',
                             (f"{address}:41000", "POST", "/api/ratings", "1.1", status), None)


def test_a_flood_of_refusals_is_one_summary_line_not_a_line_each() -> None:
    logger = logging.getLogger("test.uvicorn.access")
    logger.propagate, logger.level = False, logging.INFO
    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())  # type: ignore[method-assign]
    logger.addHandler(handler)
    summaries: list[str] = []
    summary_handler = logging.Handler()
    summary_handler.emit = lambda record: summaries.append(  # type: ignore[method-assign]
        record.getMessage())
    runtime_log = logging.getLogger("chat_server.runtime")
    runtime_log.addHandler(summary_handler)
    refusals = RefusalsSummarised(every=3600)
    logger.addFilter(refusals)
    try:
        for n in range(5000):
            logger.handle(access_record("203.0.113.9", 429))
            if n % 1000 == 0:
                logger.handle(access_record("198.51.100.4", 200))
        logger.handle(access_record("198.51.100.7", 429))
        assert len(lines) == 5 and all('" 200' in line for line in lines)
        assert summaries == []  # not before the minute is up
        refusals.every = 0
        logger.handle(access_record("198.51.100.4", 200))
        assert len(summaries) == 1
        assert "5001 requests refused (429)" in summaries[0]
        assert "203.0.113.9 5000" in summaries[0] and "198.51.100.7 1" in summaries[0]
        logger.handle(access_record("198.51.100.4", 200))
        assert len(summaries) == 1  # counted afresh: nothing refused since
    finally:
        logger.removeFilter(refusals)
        logger.removeHandler(handler)
        runtime_log.removeHandler(summary_handler)
