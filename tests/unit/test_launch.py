"""The torchrun launcher's one-line failures: the rank that failed, never the one that
lost it."""

from __future__ import annotations


def test_the_launcher_names_the_failing_rank_not_the_one_that_lost_it():
    from pruning_pipeline.launch import failure

    stderr = ("error: rank 1: RuntimeError: [gloo] Connection closed by peer (--debug shows the traceback)\n"
              "error: rank 0: invalid config: model='m:f' raised ValueError: bad\n")
    assert failure(stderr, 2, 1) == "rank 0: invalid config: model='m:f' raised ValueError: bad"
    traceback = "Traceback (most recent call last):\n  ...\ntorch.OutOfMemoryError: CUDA out of memory\n====\n"
    assert failure(traceback, 2, 1) == "the torchrun job with 2 processes failed: torch.OutOfMemoryError: CUDA out of memory"
    assert failure("", 4, 9) == "the torchrun job with 4 processes failed: exit status 9"
    prefixed = "[rank1]: Traceback (most recent call last):\n[rank1]: ValueError: bad shape\n" + CHILD_FAILED
    assert failure(prefixed, 2, 1) == "the torchrun job with 2 processes failed: ValueError: bad shape"
    assert failure(CHILD_FAILED, 2, 1) == ("the torchrun job with 2 processes failed: rank 1 ended with exit code -11 "
                                           "(Signal 11 (SIGSEGV) received by PID 4242)")


# the end of torchrun's output when a rank dies from a signal (torch/distributed/elastic)
CHILD_FAILED = """torch.distributed.elastic.multiprocessing.errors.ChildFailedError:
============================================================
pruning_pipeline FAILED
------------------------------------------------------------
Failures:
  <NO_OTHER_FAILURES>
------------------------------------------------------------
Root Cause (first observed failure):
[0]:
  time      : 2026-11-29_13:40:00
  host      : machine
  rank      : 1 (local_rank: 1)
  exitcode  : -11 (pid: 4242)
  error_file: <N/A>
  traceback : Signal 11 (SIGSEGV) received by PID 4242
============================================================
"""
