"""The whole-stack tests' rule for a busy machine accepts the expected verdict or generator
saturation alone, and nothing else."""

from __future__ import annotations

import pytest

from testsupport.verdicts import expected_or_saturated

LAG = "run: generator event-loop lag p99 62.1 ms above the 50 ms bound"
CPU = "run: generator worker-0 above 90% CPU for 20s without a break"


@pytest.mark.parametrize(("verdict", "accepted"), [
    ({"verdict": "GO", "reasons": []}, True),
    ({"verdict": "INVALID", "reasons": [LAG]}, True),
    ({"verdict": "INVALID", "reasons": [LAG, CPU]}, True),
    ({"verdict": "INVALID", "reasons": [LAG, "run: worker w1 lost at 20s of 30s"]}, False),
    ({"verdict": "INVALID", "reasons": []}, False),          # a criterion without enough samples
    ({"verdict": "NO-GO", "reasons": []}, False),
    ({}, False),
])
def test_only_the_expected_verdict_or_generator_saturation_is_accepted(verdict, accepted):
    assert expected_or_saturated(verdict, "GO") is accepted
