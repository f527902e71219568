"""SLO files: limits as data beside the scenario (``scenarios/slo/*.yaml``), k6-threshold style.

    slo = load_slo("scenarios/slo/smoke.yaml")
    slo.criteria[0]
    Criterion(endpoint='Total', metric='p95', fail=Limit(op='<=', value=250.0, relative=False), warn=...)

The format (documented in ``docs/slo.md``)::

    endpoints:
      Total:                                  # the aggregate of all endpoints
        p95: {fail: 250, warn: 150}           # ms; a bare number is the fail level
        p99: 600
        error_rate: {fail: 1%, warn: 0.1%}
        rps: ">= 20"
      "GET /tasks/{id}":                      # a route template
        p95: [{fail: 100}, {fail: "<= +10%"}] # absolute and relative to a baseline run
        cache_hit_ratio: ">= 0.5"
    run:                                      # figures of the whole run (reports.metrics.RUN_METRICS)
      queue_lag_max: {fail: 30, warn: 10}     # seconds
      drain_seconds: "<= 60s"
      lost_writes: 0                          # an auditing run is held to 0 lost writes and stale
      stale_reads: {fail: 10, warn: 0}        # reads when its SLO does not bound them
    baseline:                                 # how a run is compared with a baseline run
      metrics: [p95, p99]
      regression: fail                        # fail | warn | off
      min_effect: 5%
      confidence: 0.95

Every problem is one :class:`SloError` naming the file, the field and the value.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from loadgate.errors import InputError
from loadgate.runformat import TOTAL
from reports.metrics import ALIASES, METRICS, RUN, RUN_METRICS, Direction, Metric
from reports.routes import KNOWN_ROUTES

_ENDPOINT = re.compile(r"^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) /\S*$")
_LIMIT = re.compile(
    r"^\s*(?P<op><=|>=|<|>)?\s*(?P<num>[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?)\s*(?P<unit>%|ms|s|rps|/s)?\s*$"
)


class SloError(InputError):
    """A malformed SLO file: the message names the file, the field and the value."""


@dataclass(frozen=True)
class Limit:
    """One level of one criterion: ``measured <op> value``; relative limits are fractions of the
    baseline (``"<= +10%"`` -> ``value=0.10, relative=True``)."""

    op: str
    value: float
    relative: bool = False

    def holds(self, measured: float, baseline: float | None = None) -> bool:
        """Whether ``measured`` satisfies this limit (relative limits need the baseline figure)."""
        bound = self.bound(baseline)
        return {
            "<=": measured <= bound,
            "<": measured < bound,
            ">=": measured >= bound,
            ">": measured > bound,
        }[self.op]

    def bound(self, baseline: float | None = None) -> float:
        """The absolute bound: the value itself, or the baseline moved by the relative value."""
        if not self.relative:
            return self.value
        if baseline is None:
            raise ValueError("a relative limit needs a baseline")
        return baseline * (1 + self.value)

    def text(self, unit: str) -> str:
        """How the limit reads in tables: ``<= 250 ms``, ``>= 0.8``, ``<= +10%``, ``<= 0``."""
        if self.relative:
            return f"{self.op} {self.value * 100:+g}%"
        if unit == "ratio":
            return f"{self.op} {self.value * 100:g}%"
        if unit == "count":
            return f"{self.op} {self.value:g}"
        return f"{self.op} {self.value:g} {unit}"


@dataclass(frozen=True)
class Criterion:
    """One row of the gate: an endpoint's metric with a fail level and an optional warn level."""

    endpoint: str
    metric: str
    fail: Limit | None
    warn: Limit | None = None

    @property
    def relative(self) -> bool:
        return any(level is not None and level.relative for level in (self.fail, self.warn))

    @property
    def name(self) -> str:
        return f"{self.endpoint} {self.metric}"


class BaselinePolicy(BaseModel):
    """How a run is compared with a baseline run beyond the thresholds (see ``reports.compare``)."""

    model_config = ConfigDict(extra="forbid")

    metrics: list[Literal["p50", "p90", "p95", "p99"]] = Field(default_factory=lambda: ["p95", "p99"])  # type: ignore[arg-type]
    endpoints: list[str] | None = Field(
        None, description="Endpoints to compare; default: Total and every endpoint the SLO names"
    )
    regression: Literal["fail", "warn", "off"] = "fail"
    min_effect: float = Field(0.05, ge=0, description="Smallest relative shift called a regression")
    confidence: float = Field(0.95, gt=0.5, lt=1)

    @field_validator("min_effect", mode="before")
    @classmethod
    def _percent(cls, v: Any) -> Any:
        if isinstance(v, str) and v.strip().endswith("%"):
            return float(v.strip()[:-1]) / 100
        return v


class _SloFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str = ""
    endpoints: dict[str, dict[str, Any]] = Field(default_factory=dict)
    run: dict[str, Any] = Field(default_factory=dict)
    baseline: BaselinePolicy = Field(default_factory=BaselinePolicy)


@dataclass
class Slo:
    """A parsed SLO file: per-endpoint ``criteria``, and ``run`` criteria (endpoint ``"run"``)."""

    path: Path
    description: str
    criteria: list[Criterion]
    baseline: BaselinePolicy
    run: list[Criterion] = field(default_factory=list)

    @property
    def endpoints(self) -> list[str]:
        """Endpoints the SLO names, in file order (not ``run``: its criteria bound the whole run)."""
        return list(dict.fromkeys(c.endpoint for c in self.criteria if c.endpoint != RUN))

    def check_endpoints(self, recorded: set[str]) -> None:
        """Refuse endpoints that are neither recorded by the run nor known routes of the API."""
        for name in [*self.endpoints, *(self.baseline.endpoints or [])]:
            if name != TOTAL and name not in recorded and name not in KNOWN_ROUTES:
                seen = ", ".join(sorted(recorded)) or "none"
                raise SloError(
                    f"{self.path}: endpoints.{name!r}: unknown endpoint (the run recorded: {seen})"
                )

    def absolute_limit(self, endpoint: str, metric: str) -> float | None:
        """The absolute fail level of ``endpoint``'s ``metric``, if the SLO sets one (used by capacity)."""
        for c in self.criteria:
            if c.endpoint == endpoint and c.metric == metric and c.fail and not c.fail.relative:
                return c.fail.value
        return None


def parse_limit(value: Any, metric: Metric, where: str) -> Limit:
    """One level: a number (the metric's own direction) or a string such as ``"<= 250ms"``,
    ``">= 0.8"``, ``"1%"`` (ratios), ``"<= +10%"`` (relative to the baseline).

    >>> parse_limit("<= +10%", METRICS["p95"], "x")
    Limit(op='<=', value=0.1, relative=True)
    >>> parse_limit("0.5s", METRICS["p95"], "x").value
    500.0
    """
    default_op = "<=" if metric.direction == "upper" else ">="
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise SloError(f"{where}: {value!r} is not a limit (expected e.g. 250, '<= 250ms', '<= +10%')")
    if isinstance(value, int | float):
        op, num, unit, signed = default_op, float(value), None, False
    else:
        match = _LIMIT.match(value)
        if not match:
            raise SloError(f"{where}: {value!r} is not a limit (expected e.g. 250, '<= 250ms', '<= +10%')")
        op = match["op"] or default_op
        num, unit, signed = float(match["num"]), match["unit"], match["num"][0] in "+-"
    if not math.isfinite(num) or (num < 0 and unit != "%"):
        raise SloError(f"{where}: {value!r}: a limit is a finite number, not negative")
    if (metric.direction == "upper") != (op in ("<=", "<")):
        want = "'<=' or '<'" if metric.direction == "upper" else "'>=' or '>'"
        raise SloError(f"{where}: {value!r}: {metric.name} is bounded with {want}")
    if unit == "%" and signed:
        return Limit(op, num / 100, relative=True)
    if signed and num < 0:
        raise SloError(f"{where}: {value!r}: a negative absolute limit; relative limits end in %")
    if unit == "%":
        if metric.unit != "ratio":
            raise SloError(
                f"{where}: {value!r}: a {metric.name} limit in % is relative to the baseline "
                f"and needs a sign, e.g. '+10%'"
            )
        num /= 100
    elif unit in ("ms", "s") and metric.unit not in ("ms", "s"):
        raise SloError(f"{where}: {value!r}: {metric.name} is not a latency")
    elif unit in ("rps", "/s") and metric.unit != "rps":
        raise SloError(f"{where}: {value!r}: {metric.name} is not a rate")
    if unit == "s" and metric.unit == "ms":
        num *= 1000.0
    elif unit == "ms" and metric.unit == "s":
        num /= 1000.0
    if metric.unit == "ratio" and num > 1:
        raise SloError(f"{where}: {value!r}: a ratio above 1 (write 0.5 or 50%)")
    return Limit(op, num)


def _looser(warn: Limit, fail: Limit, direction: Direction) -> bool:
    if warn.relative != fail.relative:
        return False
    return warn.value > fail.value if direction == "upper" else warn.value < fail.value


def _criteria(endpoint: str, metric: Metric, spec: Any, where: str) -> list[Criterion]:
    specs = spec if isinstance(spec, list) else [spec]
    out = []
    for i, one in enumerate(specs):
        at = f"{where}[{i}]" if isinstance(spec, list) else where
        if isinstance(one, dict):
            unknown = set(one) - {"fail", "warn"}
            if unknown:
                raise SloError(f"{at}.{sorted(unknown)[0]}: unknown level (fail, warn)")
            if "fail" not in one and "warn" not in one:
                raise SloError(f"{at}: needs a 'fail' or a 'warn' level")
            fail = parse_limit(one["fail"], metric, f"{at}.fail") if "fail" in one else None
            warn = parse_limit(one["warn"], metric, f"{at}.warn") if "warn" in one else None
        else:
            fail, warn = parse_limit(one, metric, at), None
        if fail and warn and _looser(warn, fail, metric.direction):
            raise SloError(
                f"{at}.warn: {warn.text(metric.unit)} is looser than the fail level "
                f"{fail.text(metric.unit)}; a warning must come first"
            )
        out.append(Criterion(endpoint, metric.name, fail, warn))
    return out


def parse_slo(data: Any, path: Path) -> Slo:
    """An SLO from already-loaded YAML data (``path`` only names it in messages)."""
    if not isinstance(data, dict):
        raise SloError(f"{path}: expected a mapping with 'endpoints' (and optionally 'baseline')")
    try:
        doc = _SloFile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "(document)"
        value = f" ({err['input']!r})" if not isinstance(err.get("input"), dict) else ""
        raise SloError(f"{path}: {where}: {err['msg']}{value}") from None
    if not doc.endpoints and not doc.run:
        raise SloError(f"{path}: endpoints: no criteria (an SLO that cannot fail is no gate)")
    criteria: list[Criterion] = []
    for endpoint, metrics in doc.endpoints.items():
        where = f"{path}: endpoints.{endpoint!r}"
        if endpoint != TOTAL and not _ENDPOINT.match(endpoint):
            raise SloError(
                f"{where}: not an endpoint (expected 'Total' or a route such as 'GET /tasks/{{id}}')"
            )
        if not isinstance(metrics, dict) or not metrics:
            raise SloError(f"{where}: expected metrics, e.g. p95: 250")
        for key, spec in metrics.items():
            name = ALIASES.get(str(key), str(key))
            if name not in METRICS:
                raise SloError(f"{where}.{key}: unknown metric (one of {', '.join(METRICS)})")
            criteria.extend(_criteria(endpoint, METRICS[name], spec, f"{where}.{key}"))
    run: list[Criterion] = []
    for key, spec in doc.run.items():
        where = f"{path}: run.{key}"
        if str(key) not in RUN_METRICS:
            raise SloError(f"{where}: unknown run figure (one of {', '.join(RUN_METRICS)})")
        run.extend(_criteria(RUN, RUN_METRICS[str(key)], spec, where))
    if any(c.relative for c in run):
        bad = next(c for c in run if c.relative)
        raise SloError(f"{path}: run.{bad.metric}: a run figure's limit is absolute, not relative to "
                       f"a baseline")
    for name in doc.baseline.endpoints or []:
        if name != TOTAL and not _ENDPOINT.match(name):
            raise SloError(f"{path}: baseline.endpoints: {name!r} is not an endpoint")
    return Slo(path, doc.description, criteria, doc.baseline, run)


def load_slo(path: Path | str) -> Slo:
    """Read and validate an SLO file; any problem is one SloError line."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise SloError(f"{path}: SLO file not found") from None
    except RecursionError:
        raise SloError(f"{path}: nested too deeply to be an SLO file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SloError(f"{path}: cannot read ({exc})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        raise SloError(f"{path}{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    return parse_slo(data, path)
