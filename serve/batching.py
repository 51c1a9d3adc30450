"""Load-adaptive batching of single requests into one backbone pass.

``@serve.batch`` waits ``batch_wait_timeout_s`` for every batch, so an idle endpoint adds the whole wait to
each request, and a zero wait loses throughput under load (measured in BENCHMARKS.md). This batcher waits
only when waiting can pay off:

- a request that finds no other one queued is scored at once;
- otherwise the batch collects what is queued, and waits at most ``batch_wait_timeout_s`` for more, until
  it holds ``max_batch_size`` states.

Scoring runs on one worker thread (torch releases the GIL), so the event loop keeps parsing requests
while a batch is scored; those requests form the next batch. One batch is scored at a time.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import time
from collections.abc import Callable

import numpy as np

from learec.serve.options import BatchSettings

ScoreBatch = Callable[[np.ndarray], np.ndarray]  # states [B, L] -> scores [B, N]


class AdaptiveBatcher:
    def __init__(self, score: ScoreBatch, settings: BatchSettings | None = None) -> None:
        self._score = score
        self.settings = settings or BatchSettings()
        self._pending: collections.deque[tuple[np.ndarray, asyncio.Future]] = collections.deque()
        self._arrived: asyncio.Event | None = None
        self._worker: asyncio.Task | None = None
        self._executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="learec-score")
        self.batch_sizes: collections.Counter[int] = collections.Counter()  # for tests and benchmarks

    def reconfigure(self, settings: BatchSettings) -> None:
        """New limits apply from the next batch on."""
        self.settings = settings

    async def score_one(self, state: np.ndarray) -> np.ndarray:
        """Scores ``[N]`` of one state ``[L]``, batched with whatever else is queued."""
        loop = asyncio.get_running_loop()
        if self._worker is None or self._worker.done():
            self._arrived = asyncio.Event()
            self._worker = loop.create_task(self._run())
        future: asyncio.Future = loop.create_future()
        self._pending.append((state, future))
        self._arrived.set()
        return await future

    async def score_many(self, states: np.ndarray) -> np.ndarray:
        """Scores ``[B, N]`` of a request that already holds many states: one pass, on the scoring thread."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._score, states)

    async def _run(self) -> None:
        assert self._arrived is not None
        while True:
            if not self._pending:
                self._arrived.clear()
                await self._arrived.wait()
            await self._fill()
            batch = [
                self._pending.popleft() for _ in range(min(len(self._pending), self.settings.max_batch_size))
            ]
            self.batch_sizes[len(batch)] += 1
            live = [(s, f) for s, f in batch if not f.done()]  # a caller that went away needs no answer
            if not live:
                continue
            try:
                scores = await self.score_many(np.stack([s for s, _ in live]))
            except Exception as exc:  # noqa: BLE001 - every waiting caller gets the error, the loop goes on
                for _, f in live:
                    if not f.done():
                        f.set_exception(exc)
                continue
            for row, (_, f) in enumerate(live):
                if not f.done():
                    f.set_result(scores[row])

    async def _fill(self) -> None:
        """Under load (more than one request queued), wait up to the timeout for a full batch."""
        limit, wait = self.settings.max_batch_size, self.settings.batch_wait_timeout_s
        if len(self._pending) < 2 or len(self._pending) >= limit or wait <= 0:
            return
        assert self._arrived is not None
        deadline = time.monotonic() + wait
        while len(self._pending) < limit:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), left)
            except TimeoutError:
                return

    def close(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
        self._executor.shutdown(wait=False, cancel_futures=True)
