"""Render and write enterprise pages, in worker processes when there are many.

Jinja is pure Python: at 6,700 enterprise pages (500,000 trainee rows) rendering takes most of
the report phase on one core while DuckDB waits. The contexts are plain frozen dataclasses, so
the pages are rendered by a small pool of processes started with `spawn` (never `fork`: the
parent holds a DuckDB connection and its threads). Every page's bytes are the same whichever
process renders it; a template error in a worker is raised in the parent.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import fields
from pathlib import Path
from typing import Any

import jinja2

PARALLEL_FROM = 300  # fewer pages than this are rendered in-process: a pool costs ~1 s to start
CHUNK = 50  # pages handed to a worker at once
MAX_WORKERS = 4

_template: jinja2.Template | None = None  # a worker's own compiled template


def fields_of(context: Any) -> dict[str, Any]:
    """The context's fields as template variables (shallow: asdict would deep-copy every row)."""
    return {f.name: getattr(context, f.name) for f in fields(context)}


def write_page(path: Path, text: str) -> None:
    """A page as UTF-8 with LF line ends on every platform."""
    path.write_text(text, encoding="utf-8", newline="\n")


def _start_worker(id_mask: str, templates_dir: Path | None, name: str) -> None:
    global _template
    from .render import environment  # the worker builds the same environment as the parent

    _template = environment(id_mask, templates_dir).get_template(name)


def _render_chunk(pages: list[tuple[Path, Any]]) -> int:
    assert _template is not None
    for path, context in pages:
        write_page(path, _template.render(**fields_of(context)))
    return len(pages)


class PageWriter:
    """Renders one template for many contexts; `submit` queues, `drain` waits for the queue."""

    def __init__(
        self,
        env: jinja2.Environment,
        name: str,
        pages: int,
        *,
        id_mask: str,
        templates_dir: Path | None,
    ) -> None:
        self._template = env.get_template(name)
        self._pending: list[tuple[Path, Any]] = []
        self._futures: list[Future[int]] = []
        self._inline = 0  # pages rendered in-process since the last drain
        workers = min(MAX_WORKERS, os.cpu_count() or 1)
        self._pool: ProcessPoolExecutor | None = None
        if pages >= PARALLEL_FROM and workers > 1:
            self._pool = ProcessPoolExecutor(
                workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(id_mask, templates_dir, name),
            )

    def submit(self, path: Path, context: Any) -> None:
        """Render `context` into `path`, now or in a worker."""
        if self._pool is None:
            write_page(path, self._template.render(**fields_of(context)))
            self._inline += 1
            return
        self._pending.append((path, context))
        if len(self._pending) >= CHUNK:
            self._flush()

    def _flush(self) -> None:
        if self._pending and self._pool is not None:
            self._futures.append(self._pool.submit(_render_chunk, self._pending))
            self._pending = []

    def drain(self, keep: int = 0) -> Iterator[int]:
        """Wait for the queued pages but the last `keep` chunks; yields pages finished per chunk.

        Keeping the latest batch in flight lets the parent query the next one meanwhile, while
        at most two batches of contexts are held in memory.
        """
        if self._inline:
            yield self._inline
            self._inline = 0
        if keep == 0:
            self._flush()
        done = max(0, len(self._futures) - keep)
        futures, self._futures = self._futures[:done], self._futures[done:]
        for future in futures:
            yield future.result()

    @property
    def queued(self) -> int:
        """Chunks handed to workers and not yet drained."""
        return len(self._futures)

    def close(self) -> None:
        """Stop the workers (after a failure too: queued chunks are cancelled)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> PageWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
