"""Starting a local cluster: N worker processes on free loopback ports, each with its own ``TF_CONFIG``.

For trying multi-worker training on one machine (``tfgan-zoo launch --workers 2 -- train ...``) and for the
tests; on real machines each worker is started by hand or by a scheduler with its own ``TF_CONFIG`` (see the
README's "Scaling out"). Imports no TensorFlow: the launcher only starts and watches processes.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

__all__ = ["free_loopback_ports", "cluster_configs", "launch_local_workers"]


def free_loopback_ports(count):
    """``count`` distinct TCP ports on 127.0.0.1 that were free a moment ago (the OS picks them)."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def cluster_configs(addresses):
    """One ``TF_CONFIG`` string per worker of a cluster of ``worker`` tasks at ``addresses`` (worker 0 is the
    chief, as ``MultiWorkerMirroredStrategy`` takes it when the cluster has no ``chief`` task)."""
    cluster = {"worker": list(addresses)}
    return [json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}}) for i in range(len(addresses))]


def _stop(process, grace_seconds):
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=grace_seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _tail(path, lines=20):
    with open(path, encoding="utf-8", errors="replace") as f:
        return "".join(f.readlines()[-lines:])


def launch_local_workers(command, workers, timeout=None, env=None, grace_seconds=10.0, log=sys.stderr):
    """Runs ``command`` (an argv list) as ``workers`` processes forming one cluster on 127.0.0.1.

    Worker 0 (the chief) writes to this process's stdout and stderr; the others to temporary log files, whose
    last lines are printed when such a worker fails. Every wait is bounded: when a worker exits with a non-zero
    status, or ``timeout`` seconds pass, the other workers are stopped (SIGTERM, then SIGKILL after
    ``grace_seconds``); when the chief has finished, the others get ``grace_seconds`` more.

    Args:
      command: the program and its arguments, the same for every worker.
      workers: how many (>= 1).
      timeout: seconds for the whole cluster (None: no limit).
      env: the environment (this process's when None); ``TF_CONFIG`` is set per worker.
    Returns:
      The chief's exit status; when another worker failed first (the chief was then stopped), that worker's
      non-zero status; 124 when the timeout stopped the cluster.
    """
    if workers < 1:
        raise ValueError(f"workers={workers} must be >= 1.")
    configs = cluster_configs([f"127.0.0.1:{port}" for port in free_loopback_ports(workers)])
    logs = tempfile.mkdtemp(prefix="tfgan_zoo-launch-")
    processes, log_paths = [], []
    try:
        for index, config in enumerate(configs):
            worker_env = {**(os.environ if env is None else env), "TF_CONFIG": config}
            if index == 0:
                processes.append(subprocess.Popen(command, env=worker_env))
                log_paths.append(None)
                continue
            path = os.path.join(logs, f"worker-{index}.log")
            with open(path, "w") as out:
                processes.append(subprocess.Popen(command, env=worker_env, stdout=out, stderr=subprocess.STDOUT))
            log_paths.append(path)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            codes = [p.poll() for p in processes]
            failed = [i for i, code in enumerate(codes) if code not in (None, 0)]
            if failed:
                first = failed[0]
                for process in processes:
                    _stop(process, grace_seconds)
                if log_paths[first]:
                    print(f"worker {first} exited with status {codes[first]}; its last lines:\n"
                          f"{_tail(log_paths[first])}", file=log)
                return codes[0] if first == 0 else codes[first]
            if codes[0] == 0:
                others_deadline = time.monotonic() + grace_seconds
                while any(p.poll() is None for p in processes) and time.monotonic() < others_deadline:
                    time.sleep(0.1)
                late = [i for i, p in enumerate(processes) if p.poll() is None]
                for process in processes:
                    _stop(process, grace_seconds)
                if late:
                    print(f"workers {late} were still running {grace_seconds:g} s after the chief finished; "
                          "stopped.", file=log)
                return 0
            if deadline is not None and time.monotonic() > deadline:
                for process in processes:
                    _stop(process, grace_seconds)
                print(f"the cluster ran past its {timeout:g} s timeout; stopped every worker.", file=log)
                return 124
            time.sleep(0.1)
    finally:
        for process in processes:
            _stop(process, grace_seconds)
        shutil.rmtree(logs, ignore_errors=True)
