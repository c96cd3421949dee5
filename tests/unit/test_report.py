"""The build report: phases in order, their seconds and source, and the total."""

import time

from pruning_pipeline.report import Report


def test_phases_keep_their_order_seconds_and_source():
    report = Report()
    report.add("data", 0.5)
    with report.phase("trained", cached=True):
        time.sleep(0.01)
    assert list(report.phases) == ["data", "trained"]
    assert report.phases["trained"]["cached"] and report.phases["trained"]["seconds"] >= 0.01
    lines = report.table().splitlines()
    assert lines[2].split() == ["data", "0.50", "computed"] and lines[3].split()[-1] == "cache"
    assert lines[-1].split()[0] == "total"
    assert float(lines[-1].split()[1]) == round(0.5 + report.phases["trained"]["seconds"], 2)
    assert [p["phase"] for p in report.to_list()] == ["data", "trained"]

