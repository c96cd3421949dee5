"""Cache entries: hit, miss, partial, corrupt, foreign and concurrent writers."""

import json
import threading

from pruning_pipeline.keys.store import ENTRY_FILE, Cache


def _fill(text):
    def fill(directory):
        (directory / "data.txt").write_text(text)
        (directory / "sub").mkdir()
        (directory / "sub" / "more.bin").write_bytes(b"\x00\x01")
    return fill


def test_miss_then_hit(tmp_path):
    cache = Cache(tmp_path)
    assert cache.get("k", "abc") is None
    entry = cache.put("k", "abc", _fill("one"))
    assert cache.get("k", "abc") == entry and (entry / "data.txt").read_text() == "one"
    assert [e["state"] for e in cache.entries()] == ["ok"]


def test_failed_fill_leaves_nothing(tmp_path):
    cache = Cache(tmp_path)

    def broken(directory):
        (directory / "half.txt").write_text("x")
        raise RuntimeError("training crashed")

    try:
        cache.put("k", "abc", broken)
    except RuntimeError:
        pass
    assert list((tmp_path / "k").iterdir()) == []


def test_corrupt_partial_and_foreign_entries_are_discarded(tmp_path, caplog):
    cache = Cache(tmp_path)
    entry = cache.put("k", "abc", _fill("one"))
    (entry / "data.txt").write_text("tampered")
    assert cache.problem("k", "abc").startswith("corrupt")
    assert cache.get("k", "abc") is None and not entry.exists()
    assert "corrupt" in caplog.text

    entry = cache.put("k", "abc", _fill("one"))
    (entry / ENTRY_FILE).unlink()
    assert cache.problem("k", "abc").startswith("partial")

    entry = cache.put("k", "xyz", _fill("one"))
    meta = json.loads((entry / ENTRY_FILE).read_text())
    (entry / ENTRY_FILE).write_text(json.dumps({**meta, "version": "0.0.0-other"}))
    assert cache.problem("k", "xyz").startswith("foreign")
    assert cache.get("k", "xyz") is None


def test_put_over_a_bad_entry_replaces_it(tmp_path):
    cache = Cache(tmp_path)
    (tmp_path / "k" / "abc").mkdir(parents=True)
    (tmp_path / "k" / "abc" / "junk").write_text("left by a crash")
    entry = cache.put("k", "abc", _fill("fresh"))
    assert cache.problem("k", "abc") is None and (entry / "data.txt").read_text() == "fresh"


def test_concurrent_writers_leave_one_intact_entry(tmp_path):
    cache = Cache(tmp_path)
    barrier = threading.Barrier(4)

    def fill(directory):
        barrier.wait()
        _fill("same")(directory)

    threads = [threading.Thread(target=cache.put, args=("k", "abc", fill)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert cache.problem("k", "abc") is None
    assert [p.name for p in (tmp_path / "k").iterdir()] == ["abc"]
