"""Where training runs: device, mixed precision, threads and torch.distributed (torchrun).

``torchrun --nproc_per_node=N -m cardioview train ...`` sets RANK/WORLD_SIZE/LOCAL_RANK;
:func:`init_distributed` then joins the process group (NCCL on CUDA, gloo on CPU).
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class Runtime:
    """rank/world of this process, its device and the autocast dtype (None = full fp32)."""

    rank: int
    world: int
    device: torch.device
    amp_dtype: torch.dtype | None

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world > 1

    def autocast(self):
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.amp_dtype)

    def describe(self) -> str:
        amp = {None: "fp32", torch.bfloat16: "bf16 autocast", torch.float16: "fp16 AMP"}[self.amp_dtype]
        name = torch.cuda.get_device_name(self.device) if self.device.type == "cuda" else "CPU"
        return f"{name}, {amp}, {self.world} process(es)"


def cpu_supports_bf16() -> bool:
    """True on CPUs with native bf16 math (AMX or AVX512-BF16); elsewhere bf16 autocast is slower than fp32."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="ignore")
    except OSError:
        return False
    return "amx_bf16" in flags or "avx512_bf16" in flags


def init_runtime(device: str = "auto", threads: int = 0) -> Runtime:
    """Pick the device, join torch.distributed when launched by torchrun, choose the precision."""
    if threads:
        torch.set_num_threads(threads)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    use_cuda = device == "cuda" or (device == "auto" and torch.cuda.is_available())
    if use_cuda:
        local = int(os.environ.get("LOCAL_RANK", "0"))
        torch.cuda.set_device(local)
        dev = torch.device("cuda", local)
        amp = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    else:
        dev = torch.device("cpu")
        amp = torch.bfloat16 if cpu_supports_bf16() else None
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if use_cuda else "gloo")
    return Runtime(rank, world, dev, amp)


def broadcast_floats(values: list[float], runtime: Runtime) -> list[float]:
    """Rank 0's values on every rank (time-budget and early-stop decisions stay in step)."""
    if not runtime.distributed:
        return values
    t = torch.tensor(values, dtype=torch.float64, device=runtime.device if runtime.device.type == "cuda" else "cpu")
    dist.broadcast(t, src=0)
    return t.tolist()


def shutdown(runtime: Runtime) -> None:
    if runtime.distributed and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
