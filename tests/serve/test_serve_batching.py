"""The load-adaptive batcher: no wait when idle, batches under load, never more than max_batch_size."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest

from learec.serve.batching import AdaptiveBatcher
from learec.serve.options import BatchSettings


class SlowScorer:
    """Scores state [L] as its sum; blocks until released, so requests pile up behind a running batch."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.release.set()
        self.calls: list[int] = []

    def __call__(self, states: np.ndarray) -> np.ndarray:
        self.release.wait(10)
        self.calls.append(len(states))
        return states.sum(axis=1, keepdims=True).astype(np.float32)


def test_an_idle_request_does_not_wait_for_a_batch() -> None:
    scorer = SlowScorer()
    batcher = AdaptiveBatcher(scorer, BatchSettings(max_batch_size=32, batch_wait_timeout_s=1.0))

    async def one() -> np.ndarray:
        # With the 1 s wait applied to a lone request this would time out.
        return await asyncio.wait_for(batcher.score_one(np.array([1, 2, 3])), timeout=0.5)

    assert asyncio.run(one()).tolist() == [6.0]
    assert scorer.calls == [1]
    batcher.close()


@pytest.mark.parametrize("max_batch_size", [1, 4, 32])
def test_queued_requests_share_passes_within_the_limit(max_batch_size: int) -> None:
    scorer = SlowScorer()
    batcher = AdaptiveBatcher(scorer, BatchSettings(max_batch_size=max_batch_size, batch_wait_timeout_s=0.05))

    async def many() -> list[np.ndarray]:
        scorer.release.clear()  # the first request's pass blocks; the rest queue behind it
        tasks = [asyncio.create_task(batcher.score_one(np.array([i, 1]))) for i in range(20)]
        await asyncio.sleep(0.05)
        scorer.release.set()
        return await asyncio.gather(*tasks)

    answers = asyncio.run(many())
    assert [a.tolist() for a in answers] == [[float(i + 1)] for i in range(20)]  # each gets its own row
    assert sum(scorer.calls) == 20 and max(scorer.calls) <= max_batch_size
    if max_batch_size > 1:
        assert len(scorer.calls) < 20
    batcher.close()


def test_a_failing_pass_fails_its_callers_and_the_batcher_goes_on() -> None:
    calls = {"n": 0}

    def flaky(states: np.ndarray) -> np.ndarray:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("boom")
        return np.zeros((len(states), 1), np.float32)

    batcher = AdaptiveBatcher(flaky)

    async def run() -> None:
        with pytest.raises(RuntimeError, match="boom"):
            await batcher.score_one(np.array([1]))
        assert (await batcher.score_one(np.array([1]))).tolist() == [0.0]

    asyncio.run(run())
    batcher.close()


def test_reconfigure_changes_the_limit() -> None:
    batcher = AdaptiveBatcher(SlowScorer())
    batcher.reconfigure(BatchSettings(max_batch_size=2, batch_wait_timeout_s=0.0))
    assert batcher.settings.max_batch_size == 2
    batcher.close()
