"""DistributedDataParallel: two gloo processes on CPU train a few steps in lock-step.

The same code path ``torchrun --nproc_per_node=N -m cardioview train`` uses:
RANK/WORLD_SIZE/MASTER_ADDR/MASTER_PORT in the environment, the trainer joins the group.
"""

import json
import socket
from pathlib import Path

import pytest
import torch
import torch.multiprocessing as mp
from safetensors.torch import load_file

from tests.conftest import CXR128, require_shared_data


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank: int, world: int, port: int, data: str, out: str, deletion: float) -> None:
    import os

    os.environ.update(
        RANK=str(rank), WORLD_SIZE=str(world), LOCAL_RANK=str(rank), MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port)
    )
    import cardioview.training.classifier.train as train_module
    from cardioview.model.checkpoint import save_tensors
    from cardioview.training.classifier.config import TrainConfig
    from cardioview.training.classifier.train import train

    captured = {}
    original = train_module.build_network

    def keep(config):  # remember this process's network to compare replicas afterwards
        captured["net"] = original(config)
        return captured["net"]

    train_module.build_network = keep
    train(
        TrainConfig(
            data=Path(data),
            out=Path(out),
            input_size=32,
            low_res_size=0,
            epochs=1,
            batch_size=4,
            limit=20,
            threads=1,
            device="cpu",
            attention_deletion=deletion,
        )
    )
    save_tensors(captured["net"], Path(out) / f"rank{rank}.safetensors")


@pytest.mark.parametrize("deletion", [0.0, 1.0], ids=["plain", "deletion-term"])
def test_two_process_gloo_training_keeps_replicas_identical(tmp_path, deletion):
    """With the deletion term each step has two backward passes; a batch without positives must not stall."""
    data = require_shared_data(CXR128)
    if not torch.distributed.is_available() or not torch.distributed.is_gloo_available():
        pytest.skip("this torch build has no gloo backend")
    out = tmp_path / "ddp"
    mp.spawn(_worker, args=(2, _free_port(), str(data), str(out), deletion), nprocs=2, join=True)
    result = json.loads((out / "result.json").read_text())
    assert result["epochs"] == 1 and "2 process(es)" in result["runtime"]
    a, b = load_file(str(out / "rank0.safetensors")), load_file(str(out / "rank1.safetensors"))
    before = load_file(str(out / "best.safetensors"))
    assert a.keys() == b.keys()
    for key in a:
        if a[key].is_floating_point() and "running" not in key:
            torch.testing.assert_close(a[key], b[key], msg=f"replicas differ at {key}")
    first_conv = next(k for k in a if k.endswith("conv0.weight"))
    assert torch.equal(before[first_conv], a[first_conv])  # best.safetensors = rank 0's trained weights
    from cardioview.model.network import NetworkConfig, build_network

    torch.manual_seed(0)  # the trainer's seed: the same initial weights
    initial = build_network(NetworkConfig(attention_bias=-3.0)).state_dict()
    assert not torch.equal(initial[first_conv], a[first_conv])  # the steps really changed the weights
