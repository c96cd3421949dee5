"""A user's model whose training fails in seed 1 when ``JOB_FAULT`` asks: ``raise``
raises, ``kill`` kills its worker process (SIGKILL), ``sleep`` trains slowly (to be
interrupted). The jobs tests run it on worker processes, which inherit the variable."""
import multiprocessing
import os
import signal
import time

import torch
from torch import nn

FAILING_SEED = 1  # train() seeds the global random state with seed + 2 (training.py)


class Fragile(nn.Sequential):
    def forward(self, x):
        fault = os.environ.get("JOB_FAULT")
        if self.training and fault and torch.initial_seed() == FAILING_SEED + 2:
            if fault == "raise":
                raise RuntimeError("seed one broke")
            if fault == "kill" and multiprocessing.parent_process() is not None:  # never the test's own process
                os.kill(os.getpid(), signal.SIGKILL)
        if self.training and fault == "sleep":
            time.sleep(0.05)
        return super().forward(x)


def build():
    return Fragile(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))


def data():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(192, 4, generator=g)
    y = x[:, :3].argmax(1)
    return {"train_x": x[:128], "train_y": y[:128], "test_x": x[128:], "test_y": y[128:]}
