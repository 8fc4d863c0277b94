"""Process-wide settings for serving: what `tune_gc` leaves behind."""

from __future__ import annotations

import gc

from chat_server.runtime import YOUNG_THRESHOLD, tune_gc


def test_tune_gc_freezes_start_up_and_collects_the_young_less_often() -> None:
    before = gc.get_threshold()
    try:
        tune_gc()
        assert gc.get_threshold() == (YOUNG_THRESHOLD, *before[1:])
        assert gc.get_freeze_count() > 0  # start-up's objects: out of every collection
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
