"""Execution engines: run the shards of a campaign on local processes or as tasks on a Ray cluster.

An engine maps one picklable function over a list of jobs (one job is one shard) and hands each
result to the driver as soon as it arrives, ``on_result(index, result)``, in completion order; the
caller restores the order it needs. A shard whose worker process dies (killed, out of memory, node
lost) runs again, at most :data:`MAX_RETRIES` times, and ``engine.retried`` says which shards did;
an exception raised by the function itself is not retried and propagates. Ray is imported only
inside :class:`RayEngine` (``pip install 'equifuzz[ray]'``).

Fault injection for the recovery tests: with ``EQUIFUZZ_KILL_SHARD=INDEX:FOLDER`` set, the worker
process that starts shard INDEX kills itself (SIGKILL) unless ``FOLDER/shard-INDEX`` exists; it
creates that file first, so only the first attempt dies. The driver never runs the hook.
"""

from __future__ import annotations

import os
import signal
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors.exceptions import EquifuzzError

__all__ = ["ENGINES", "MAX_RETRIES", "EngineError", "LocalEngine", "RayEngine", "make_engine", "local_devices",
           "run_shard"]

ENGINES = ("local", "ray")
MAX_RETRIES = 3
KILL_SHARD_ENV = "EQUIFUZZ_KILL_SHARD"
THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

OnResult = Callable[[int, Any], None]
OnRetry = Callable[[int, int, str], None]


class EngineError(EquifuzzError, RuntimeError):
    """An engine cannot run: a missing optional dependency, an unreachable cluster, or a shard whose
    worker died more than :data:`MAX_RETRIES` times."""


def local_devices(device: str | None) -> list[str]:
    """The torch devices of this machine for shards: ``device`` if given, else every visible GPU, else the CPU."""
    import torch

    if device:
        return [device]
    if torch.cuda.is_available():
        return [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    return ["cpu"]


def run_shard(fn: Callable[[Any], Any], index: int, job: Any) -> Any:
    """Worker side of every engine: run one shard (after the fault-injection hook)."""
    _injected_fault(index)
    return fn(job)


def _injected_fault(index: int) -> None:
    spec = os.environ.get(KILL_SHARD_ENV)
    if not spec:
        return
    shard, _, folder = spec.partition(":")
    if int(shard) != index:
        return
    try:
        os.close(os.open(Path(folder) / f"shard-{index}", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return
    os.kill(os.getpid(), signal.SIGKILL)


def _leave_ctrl_c_to_the_driver() -> None:
    """Pool workers ignore SIGINT: on Ctrl-C the driver stops the pool, and workers finish their shard and exit."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextmanager
def _one_thread_per_worker() -> Iterator[None]:
    """Processes spawned inside start with one BLAS/OpenMP thread each, as Ray starts its CPU tasks (unless
    the user set these variables): a shard is one core, and the tiny matrices of a case run many times
    slower when several workers' BLAS threads compete for the same cores."""
    added = [k for k in THREAD_ENV if k not in os.environ]
    os.environ.update({k: "1" for k in added})
    try:
        yield
    finally:
        for k in added:
            os.environ.pop(k, None)


class _Engine:
    """What both engines share: the retry count per shard."""

    name = ""

    def __init__(self, workers: int, devices: list[str]):
        self.workers = workers
        self.devices = devices
        self.retried: dict[int, int] = {}

    def _retry(self, index: int, why: str, on_retry: OnRetry | None) -> None:
        n = self.retried.get(index, 0) + 1
        if n > MAX_RETRIES:
            raise EngineError(f"shard {index} lost its worker {n} times ({why}); gave up after {MAX_RETRIES} "
                              f"retries (is a worker running out of memory?)")
        self.retried[index] = n
        if on_retry is not None:
            on_retry(index, n, why)

    def __enter__(self) -> _Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


class LocalEngine(_Engine):
    """Shards on this machine: in the driver for one worker, else spawned processes (one per core or GPU)."""

    name = "local"

    def __init__(self, workers: int | None = None, device: str | None = None):
        devices = local_devices(device)
        n = workers or (len(devices) if devices[0].startswith("cuda") else (os.cpu_count() or 1))
        super().__init__(max(1, n), devices)

    def map(self, fn: Callable[[Any], Any], jobs: Sequence[Any], on_result: OnResult,
            on_retry: OnRetry | None = None) -> None:
        n = min(self.workers, len(jobs))
        if n <= 1:
            for i, job in enumerate(jobs):
                on_result(i, fn(job))
            return
        queue = deque(range(len(jobs)))
        while queue:
            with _one_thread_per_worker():
                lost = self._pool(fn, jobs, queue, n, on_result)
            for i in lost:
                self._retry(i, "worker process died", on_retry)
            queue.extendleft(reversed(lost))

    @staticmethod
    def _pool(fn: Callable[[Any], Any], jobs: Sequence[Any], queue: deque[int], n: int,
              on_result: OnResult) -> list[int]:
        """Run queued shards in one process pool until done or the pool breaks; return the shards lost with it.

        At most ``n`` shards are in flight, so a shard lost with a broken pool was running on a worker."""
        import multiprocessing as mp

        pool = ProcessPoolExecutor(n, mp_context=mp.get_context("spawn"), initializer=_leave_ctrl_c_to_the_driver)
        running: dict[Future[Any], int] = {}
        lost: list[int] = []
        broken = False
        try:
            while (queue or running) and not broken:
                while queue and len(running) < n:
                    try:
                        fut = pool.submit(run_shard, fn, queue[0], jobs[queue[0]])
                    except BrokenProcessPool:
                        broken = True
                        break
                    running[fut] = queue.popleft()
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                if broken or any(isinstance(f.exception(), BrokenProcessPool) for f in done):
                    broken = True
                    done, _ = wait(running)  # a broken pool fails every shard in flight at once
                for fut in sorted(done, key=running.__getitem__):
                    i = running.pop(fut)
                    if isinstance(fut.exception(), BrokenProcessPool):
                        lost.append(i)
                    else:
                        on_result(i, fut.result())
        except BaseException as exc:
            # after Ctrl-C the shards in flight (their workers leave Ctrl-C to the driver) finish what they
            # write, so the driver can list it; queued shards are cancelled
            pool.shutdown(wait=isinstance(exc, KeyboardInterrupt), cancel_futures=True)
            raise
        pool.shutdown()
        return lost


class RayEngine(_Engine):
    """Each shard is a Ray task asking one GPU where the cluster has GPUs, one CPU otherwise.

    Without ``address`` a local Ray instance with ``workers`` (default: all) CPUs is started and shut
    down afterwards; with one (``auto`` or ``HOST:PORT``) the driver connects, and on leaving only
    disconnects: the cluster keeps running (a driver already connected keeps its connection). Ray's own
    task retries are off so that the driver sees each lost worker; it submits the shard again itself
    (at most :data:`MAX_RETRIES` times)."""

    name = "ray"

    def __init__(self, workers: int | None = None, device: str | None = None, address: str | None = None):
        try:
            import ray
        except ImportError as exc:
            raise EngineError("the ray engine (--engine ray) needs Ray, which is not installed; install it with "
                              "pip install 'equifuzz[ray]'") from exc
        super().__init__(workers or 0, [])
        self._ray = ray
        self._device = device
        self.address = address
        self._connected = False
        self._resources: dict[str, float] = {"num_cpus": 1}

    def __enter__(self) -> RayEngine:
        ray = self._ray
        if not ray.is_initialized():
            try:
                if self.address is None:
                    ray.init(address="local", num_cpus=self.workers or os.cpu_count() or 1, include_dashboard=False)
                else:
                    ray.init(address=self.address)
            except ConnectionError as exc:
                raise EngineError(f"cannot reach the Ray cluster at {self.address}: {exc}; start its head with "
                                  f"`ray start --head` (workers: `ray start --address HEAD:6379`)") from exc
            self._connected = True
        res = ray.cluster_resources()
        gpus = int(res.get("GPU", 0))
        if gpus and (self._device is None or self._device.startswith("cuda")):
            # each task sees its one GPU as cuda:0
            self._resources, self.devices, self.workers = {"num_gpus": 1}, ["cuda"], gpus
        elif self._device is not None and self._device.startswith("cuda"):
            raise EngineError(f"device {self._device!r} asked for, but the Ray cluster has no GPUs")
        else:
            self._resources, self.devices, self.workers = {"num_cpus": 1}, [self._device or "cpu"], int(res["CPU"])
        return self

    def __exit__(self, *exc: object) -> None:
        if self._connected:
            self._ray.shutdown()  # stops an instance started here; only disconnects from a given address
            self._connected = False

    def map(self, fn: Callable[[Any], Any], jobs: Sequence[Any], on_result: OnResult,
            on_retry: OnRetry | None = None) -> None:
        ray = self._ray
        lost_worker = (ray.exceptions.WorkerCrashedError, ray.exceptions.NodeDiedError, ray.exceptions.ObjectLostError)
        task = ray.remote(run_shard).options(max_retries=0, **self._resources)
        refs = {task.remote(fn, i, job): i for i, job in enumerate(jobs)}
        try:
            while refs:
                ray.wait(list(refs), num_returns=1)
                ready, _ = ray.wait(list(refs), num_returns=len(refs), timeout=0)
                for ref in sorted(ready, key=refs.__getitem__):
                    i = refs.pop(ref)
                    try:
                        result = ray.get(ref)
                    except lost_worker as exc:
                        self._retry(i, type(exc).__name__, on_retry)
                        refs[task.remote(fn, i, jobs[i])] = i
                        continue
                    on_result(i, result)
        except BaseException:
            for ref in refs:
                ray.cancel(ref, force=True)
            raise


def make_engine(name: str = "local", *, workers: int | None = None, device: str | None = None,
                address: str | None = None) -> LocalEngine | RayEngine:
    """The engine called ``name`` (``local`` or ``ray``); use it as a context manager around ``map``."""
    if name == "local":
        if address is not None:
            raise EngineError("--address is the address of a Ray cluster; use it with --engine ray")
        return LocalEngine(workers, device)
    if name == "ray":
        return RayEngine(workers, device, address)
    raise EngineError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")
