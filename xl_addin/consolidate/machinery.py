"""The run's machinery, one seam for the CLI, the Excel buttons and the web page: worker
processes for large runs, the garbage-collector pause, and progress reporting.

A province's run reads 1,000 workbooks; reading is most of its time and each file is
independent, so large runs spread the files over worker processes (started before the
caller imports pandas, so the imports overlap the reading). Python's cyclic collector is
paused while a run holds its hundreds of thousands of rows: the core's objects form no
reference cycles, and reference counting frees them."""
from __future__ import annotations

import contextlib
import gc
import os
from dataclasses import dataclass
from typing import Callable, Iterator

from xl_addin.read.grid import WorkbookData
from xl_addin.normalize.ingest import Ingested, ingest
from xl_addin.locate.headers import HeaderIndex
from xl_addin.declare.reference import ClusterList
from xl_addin.declare.spec import Specs

PARALLEL_FROM = 24          # inputs; below this a worker pool costs more than it saves
WORKERS_ENV = "XL_ADDIN_WORKERS"
Progress = Callable[[int, int, str], None]


@contextlib.contextmanager
def collector_paused():
    """The cyclic garbage collector off for the block. Measured at N = 1,000: a third of the
    post-ingest time, and 0.1 s of writing the summary (the collector walks every row again
    and again and finds nothing)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def release_memory() -> None:
    """Hand the heap's free pages back to the system (glibc only; elsewhere nothing). A run
    frees its frames at the end, but the C heap keeps the pages of what lay between the
    objects still alive: at N = 1,000, 50 MB (241 MB resident against 190 after this, in
    6 ms), which the writing that follows would otherwise add its own memory on top of."""
    import sys

    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        trim = ctypes.CDLL(None).malloc_trim        # the process's own symbols: libc's, if glibc
    except (OSError, AttributeError):
        return
    trim(0)


def workers_for(inputs: int) -> int:
    """Worker processes for a run (0: in this process). XL_ADDIN_WORKERS overrides."""
    wanted = os.environ.get(WORKERS_ENV, "").strip()
    if wanted.isdigit():
        n = int(wanted)
    else:
        n = 0 if inputs < PARALLEL_FROM else min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                                                 else os.cpu_count() or 1, 8)
    return 0 if n < 2 or inputs < 2 else min(n, inputs)


_worker: tuple[ClusterList, Specs, HeaderIndex] | None = None
_files_read = 0


COLLECT_EVERY = 64          # files a worker reads between two collections of its youngest objects


def _worker_init(clusters: ClusterList, specs: Specs) -> None:
    """A worker reads with the cyclic collector off, as run() does: each file's objects are
    freed by reference counting, and the automatic collections cost a quarter of the reading
    (measured: 200 files in 1.3-1.7 s against 1.8-2.0 s). What it inherited is frozen, and
    a collection every COLLECT_EVERY files (of the objects made since, a few) keeps any cycle
    from piling up."""
    global _worker, _files_read
    gc.freeze()
    gc.disable()
    _worker, _files_read = (clusters, specs, HeaderIndex(specs)), 0


def _worker_ingest(job: tuple[int, str]) -> Ingested:
    global _files_read
    clusters, specs, index = _worker
    _files_read += 1
    if _files_read % COLLECT_EVERY == 0:
        gc.collect(0)
    return ingest(job[0], job[1], clusters, specs, index)


@dataclass
class Started:
    """Files already handed to worker processes (see start)."""
    paths: list[str]
    results: Iterator[Ingested] | None
    pool: object = None

    def cancel(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)


def start(paths: list[str], clusters: ClusterList, specs: Specs,
          books: dict[str, WorkbookData] | None = None) -> Started:
    """Hand the files of a large run to worker processes now, so the caller can do other work
    (the CLI imports pandas and pandera meanwhile); small runs are read later, in-process."""
    books = books or {}
    files = [(i, p) for i, p in enumerate(paths) if p not in books]
    pool, results = _pooled(files, clusters, specs, workers_for(len(files))) if len(files) > 1 else (None, None)
    return Started(list(paths), results, pool)


def ingest_all(paths: list[str], clusters: ClusterList, specs: Specs, books: dict[str, WorkbookData] | None = None,
               progress: Progress | None = None, started: Started | None = None) -> Iterator[Ingested]:
    """Ingested inputs in input order. Files go to a pool of worker processes when the run
    is large (the main process then never holds a grid); books already in memory, from
    the Excel buttons, are read here."""
    books = books or {}
    if started is None or started.paths != list(paths):
        if started is not None:
            started.cancel()           # started for other inputs: not these
        started = start(paths, clusters, specs, books)
    index = HeaderIndex(specs)
    done = 0

    def report(item: Ingested) -> Ingested:
        nonlocal done
        done += 1
        if progress:
            progress(done, len(paths), item.result.path)
        return item

    pending = started.results
    for i, path in enumerate(paths):
        if path in books:
            yield report(ingest(i, path, clusters, specs, index, books[path]))
            continue
        item = None
        if pending is not None:
            try:
                item = next(pending)
            except Exception as exc:    # a worker died (killed, out of memory, or a script that
                if type(exc).__name__ != "BrokenProcessPool":   # starts runs without a __main__ guard)
                    raise
                pending = None          # finish in this process: same results, only slower
        yield report(item if item is not None else ingest(i, path, clusters, specs, index))
    if started.results is not None:
        started.results.close()      # every result is in: shut the pool down now, not when collected


def _pooled(files: list[tuple[int, str]], clusters: ClusterList, specs: Specs, workers: int):
    """(pool, results in input order), or (None, None) when the run stays in this process."""
    if workers < 2:
        return None, None
    import multiprocessing as mp
    import sys
    import threading
    from concurrent.futures import ProcessPoolExecutor

    # Linux, one thread: fork (instant, and the workers share the imported modules' memory).
    # Otherwise (Excel's or a progress bar's threads, Windows, macOS) workers start from a clean
    # interpreter that imports only this module.
    methods = mp.get_all_start_methods()
    if sys.platform.startswith("linux") and threading.active_count() == 1:
        method = "fork"
    else:
        method = "forkserver" if "forkserver" in methods else "spawn"
    context = mp.get_context(method)
    if method == "forkserver":
        context.set_forkserver_preload([__name__])
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_init, initargs=(clusters, specs))
    chunk = max(1, min(16, len(files) // (workers * 8)))

    try:
        results = pool.map(_worker_ingest, files, chunksize=chunk)    # submitted now: work starts
    except BaseException:
        pool.shutdown(cancel_futures=True)
        raise

    def drain() -> Iterator[Ingested]:
        with pool:
            yield from results
    return pool, drain()
