"""``junit.xml``: the gate's rows as a JUnit test suite, for CI systems that show test results.

    write_junit(run_dir / JUNIT_FILE, result)      # result: reports.gate.GateResult

One testcase per criterion plus one for the run's validity: failures for NO-GO rows, errors for
invalid ones, skipped for relative limits without a baseline; the verdict is a suite property.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING

from loadgate.runformat import write_atomic
from loadgate.runformat.figures import format_value
from reports.criteria import Row

if TYPE_CHECKING:
    from reports.gate import GateResult

JUNIT_FILE = "junit.xml"


def junit_tree(result: GateResult) -> ET.ElementTree:
    """JUnit XML: one testcase per criterion (failures for NO-GO rows, errors for invalid ones)."""
    cases = [("run", "validity", "invalid" if result.reasons else "pass", "; ".join(result.reasons))]
    cases += [(r.endpoint, r.name, r.result, _row_message(r)) for r in result.criteria]
    suite = ET.Element(
        "testsuite",
        {
            "name": f"loadgate gate {result.run_id}",
            "tests": str(len(cases)),
            "failures": str(sum(c[2] == "fail" for c in cases)),
            "errors": str(sum(c[2] == "invalid" for c in cases)),
            "skipped": str(sum(c[2] == "skipped" for c in cases)),
        },
    )
    ET.SubElement(
        ET.SubElement(suite, "properties"), "property", {"name": "verdict", "value": result.verdict}
    )
    for classname, name, outcome, message in cases:
        case = ET.SubElement(suite, "testcase", {"classname": classname, "name": name})
        if outcome == "fail":
            ET.SubElement(case, "failure", {"message": message, "type": "NO-GO"}).text = message
        elif outcome == "invalid":
            ET.SubElement(case, "error", {"message": message, "type": "INVALID"}).text = message
        elif outcome == "skipped":
            ET.SubElement(case, "skipped", {"message": message})
        elif outcome == "warn":
            ET.SubElement(case, "system-out").text = f"WARN: {message}"
    root = ET.Element("testsuites", {"name": "loadgate"})
    root.append(suite)
    ET.indent(root)
    return ET.ElementTree(root)


def _row_message(r: Row) -> str:
    measured = "n/a" if r.measured is None else format_value(r.measured, r.unit)
    text = f"{r.name}: measured {measured}, limit {r.limit}"
    if r.baseline is not None:
        text += f", baseline {format_value(r.baseline, r.unit)}"
    return f"{text} ({r.note})" if r.note else text


def write_junit(path: Path, result: GateResult) -> None:
    """Write the JUnit XML atomically."""
    buf = io.BytesIO()
    junit_tree(result).write(buf, encoding="utf-8", xml_declaration=True)
    write_atomic(path, buf.getvalue())
