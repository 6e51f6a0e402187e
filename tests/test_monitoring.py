"""Dashboards, SLOs and alerts as files (ops/): each has the shape Google's Monitoring API
documents, names only metrics (and metric labels) that deploy.sh creates, and deploy.sh applies
every one of them, idempotently, with every notification channel it was given.

The shapes are checked twice, offline: by the pydantic models below (the fields these files use,
from the REST references of Dashboard (monitoring v1), Service, ServiceLevelObjective and
AlertPolicy (monitoring v3) and LogMetric (logging v2); unknown keys refused, required ones
required), and by the installed gcloud's own API messages, which are generated from the APIs'
discovery documents (every key a field of its message, every enum value one of its values).
"""

from __future__ import annotations

import ast
import datetime as dt
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from common.matching.policy import Waiting
from common.matching.service import SweepResult, _log_sweep
from devstack.stack import ROOT
from tests.test_alerts import _app, _request_lines, log_entry, log_lines, matches

__all__ = ["log_lines"]  # the fixture, shared with tests/test_alerts.py

PROJECT = "peerprep-prod"
OPS = ROOT / "ops"
USER_METRIC = "logging.googleapis.com/user/"

# ---- the documented shapes ----------------------------------------------------------------------

Duration = Annotated[str, Field(pattern=r"^\d+(\.\d+)?s$")]
Aligner = Literal[
    "ALIGN_NONE", "ALIGN_DELTA", "ALIGN_RATE", "ALIGN_INTERPOLATE", "ALIGN_NEXT_OLDER",
    "ALIGN_MIN", "ALIGN_MAX", "ALIGN_MEAN", "ALIGN_COUNT", "ALIGN_SUM", "ALIGN_STDDEV",
    "ALIGN_COUNT_TRUE", "ALIGN_COUNT_FALSE", "ALIGN_FRACTION_TRUE", "ALIGN_PERCENTILE_99",
    "ALIGN_PERCENTILE_95", "ALIGN_PERCENTILE_50", "ALIGN_PERCENTILE_05", "ALIGN_PERCENT_CHANGE",
]  # fmt: skip
Reducer = Literal[
    "REDUCE_NONE", "REDUCE_MEAN", "REDUCE_MIN", "REDUCE_MAX", "REDUCE_SUM", "REDUCE_STDDEV",
    "REDUCE_COUNT", "REDUCE_COUNT_TRUE", "REDUCE_COUNT_FALSE", "REDUCE_FRACTION_TRUE",
    "REDUCE_PERCENTILE_99", "REDUCE_PERCENTILE_95", "REDUCE_PERCENTILE_50", "REDUCE_PERCENTILE_05",
]  # fmt: skip


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, alias_generator=to_camel)


def _one_of(model: BaseModel, *fields: str) -> None:
    given = [f for f in fields if getattr(model, f) is not None]
    assert len(given) == 1, f"{type(model).__name__}: exactly one of {fields}, got {given}"


class Aggregation(Strict):
    alignment_period: Duration | None = None
    per_series_aligner: Aligner | None = None
    cross_series_reducer: Reducer | None = None
    group_by_fields: list[str] | None = None

    @model_validator(mode="after")
    def _reducer_needs_aligner(self) -> Aggregation:
        # "perSeriesAligner must be specified and not equal to ALIGN_NONE" with a reducer, and
        # "alignmentPeriod must be specified" with an aligner.
        if self.cross_series_reducer not in (None, "REDUCE_NONE"):
            assert self.per_series_aligner not in (None, "ALIGN_NONE")
        if self.per_series_aligner not in (None, "ALIGN_NONE"):
            assert self.alignment_period is not None
        return self


# Dashboard, monitoring v1 (projects.dashboards)


class TimeSeriesFilter(Strict):
    filter: str
    aggregation: Aggregation | None = None
    secondary_aggregation: Aggregation | None = None


class RatioPart(Strict):
    filter: str
    aggregation: Aggregation | None = None


class TimeSeriesFilterRatio(Strict):
    numerator: RatioPart
    denominator: RatioPart
    secondary_aggregation: Aggregation | None = None


class TimeSeriesQuery(Strict):
    time_series_filter: TimeSeriesFilter | None = None
    time_series_filter_ratio: TimeSeriesFilterRatio | None = None
    time_series_query_language: str | None = None
    prometheus_query: str | None = None
    unit_override: str | None = None
    output_full_duration: bool | None = None

    @model_validator(mode="after")
    def _source(self) -> TimeSeriesQuery:
        sources = ("time_series_filter", "time_series_filter_ratio", "time_series_query_language")
        _one_of(self, *sources, "prometheus_query")
        return self


class Threshold(Strict):
    label: str | None = None
    value: float = Field(strict=False)
    color: Literal["YELLOW", "RED"] | None = None
    direction: Literal["ABOVE", "BELOW"] | None = None
    target_axis: Literal["Y1", "Y2"] | None = None


class DataSet(Strict):
    time_series_query: TimeSeriesQuery
    plot_type: Literal["LINE", "STACKED_AREA", "STACKED_BAR", "HEATMAP"] | None = None
    legend_template: str | None = None
    min_alignment_period: Duration | None = None
    target_axis: Literal["Y1", "Y2"] | None = None


class Axis(Strict):
    label: str | None = None
    scale: Literal["LINEAR", "LOG10"] | None = None


class ChartOptions(Strict):
    mode: Literal["COLOR", "X_RAY", "STATS"] | None = None
    display_horizontal: bool | None = None


class XyChart(Strict):
    data_sets: list[DataSet] = Field(min_length=1)
    timeshift_duration: Duration | None = None
    thresholds: list[Threshold] | None = None
    x_axis: Axis | None = None
    y_axis: Axis | None = None
    y2_axis: Axis | None = None
    chart_options: ChartOptions | None = None


class SparkChartView(Strict):
    spark_chart_type: Literal["SPARK_LINE", "SPARK_BAR"]
    min_alignment_period: Duration | None = None


class GaugeView(Strict):
    lower_bound: float | None = Field(default=None, strict=False)
    upper_bound: float | None = Field(default=None, strict=False)


class Scorecard(Strict):
    time_series_query: TimeSeriesQuery
    gauge_view: GaugeView | None = None
    spark_chart_view: SparkChartView | None = None
    thresholds: list[Threshold] | None = None


class Text(Strict):
    content: str
    format: Literal["MARKDOWN", "RAW"] | None = None


class Widget(Strict):
    title: str | None = None
    id: str | None = None
    xy_chart: XyChart | None = None
    scorecard: Scorecard | None = None
    text: Text | None = None

    @model_validator(mode="after")
    def _content(self) -> Widget:
        _one_of(self, "xy_chart", "scorecard", "text")
        return self


class Tile(Strict):
    x_pos: int = Field(default=0, ge=0)
    y_pos: int = Field(default=0, ge=0)
    width: int = Field(ge=1)
    height: int = Field(ge=1)
    widget: Widget


class MosaicLayout(Strict):
    columns: int = Field(ge=1, le=48)
    tiles: list[Tile] = Field(min_length=1)

    @model_validator(mode="after")
    def _tiles_fit_and_do_not_overlap(self) -> MosaicLayout:
        cells: set[tuple[int, int]] = set()
        for tile in self.tiles:
            assert tile.x_pos + tile.width <= self.columns, tile
            area = {
                (x, y)
                for x in range(tile.x_pos, tile.x_pos + tile.width)
                for y in range(tile.y_pos, tile.y_pos + tile.height)
            }
            assert not cells & area, f"overlapping tile {tile.widget.title!r}"
            cells |= area
        return self


class GridLayout(Strict):
    columns: int | None = None
    widgets: list[Widget]


class Dashboard(Strict):
    display_name: str = Field(min_length=1)
    name: str | None = None
    etag: str | None = None
    mosaic_layout: MosaicLayout | None = None
    grid_layout: GridLayout | None = None
    labels: dict[str, str] | None = None

    @model_validator(mode="after")
    def _layout(self) -> Dashboard:
        _one_of(self, "mosaic_layout", "grid_layout")
        # The API refuses an etag on create: the files never hold one (deploy.sh adds it).
        assert self.etag is None and self.name is None
        return self

    def widgets(self) -> list[Widget]:
        if self.mosaic_layout is not None:
            return [tile.widget for tile in self.mosaic_layout.tiles]
        assert self.grid_layout is not None
        return self.grid_layout.widgets


# Service and ServiceLevelObjective, monitoring v3 (projects.services, .serviceLevelObjectives)


class Custom(Strict):
    pass


class Service(Strict):
    display_name: str
    custom: Custom
    user_labels: dict[str, str] | None = None


class TimeSeriesRatio(Strict):
    good_service_filter: str | None = None
    bad_service_filter: str | None = None
    total_service_filter: str | None = None

    @model_validator(mode="after")
    def _two_of_three(self) -> TimeSeriesRatio:
        given = [self.good_service_filter, self.bad_service_filter, self.total_service_filter]
        assert sum(f is not None for f in given) == 2, "exactly two of good, bad and total"
        return self


class Range(Strict):
    min: float | None = Field(default=None, strict=False)
    max: float | None = Field(default=None, strict=False)


class DistributionCut(Strict):
    distribution_filter: str
    range: Range


class RequestBasedSli(Strict):
    good_total_ratio: TimeSeriesRatio | None = None
    distribution_cut: DistributionCut | None = None

    @model_validator(mode="after")
    def _method(self) -> RequestBasedSli:
        _one_of(self, "good_total_ratio", "distribution_cut")
        return self


class ServiceLevelIndicator(Strict):
    request_based: RequestBasedSli


class ServiceLevelObjective(Strict):
    display_name: str
    goal: float = Field(gt=0, le=0.9999)
    rolling_period: Duration | None = None
    calendar_period: Literal["DAY", "WEEK", "FORTNIGHT", "MONTH"] | None = None
    service_level_indicator: ServiceLevelIndicator
    user_labels: dict[str, str] | None = None

    @model_validator(mode="after")
    def _period(self) -> ServiceLevelObjective:
        _one_of(self, "rolling_period", "calendar_period")
        if self.rolling_period is not None:
            # "an integer multiple of 1 day, no smaller than 1 day and no larger than 30 days"
            seconds = float(self.rolling_period[:-1])
            assert seconds % 86400 == 0 and 1 <= seconds / 86400 <= 30, self.rolling_period
        return self


# AlertPolicy, monitoring v3 (projects.alertPolicies)


class Trigger(Strict):
    count: int | None = None
    percent: float | None = None


class MetricThreshold(Strict):
    filter: str
    aggregations: list[Aggregation] | None = None
    comparison: Literal[
        "COMPARISON_GT", "COMPARISON_GE", "COMPARISON_LT", "COMPARISON_LE", "COMPARISON_EQ",
        "COMPARISON_NE",
    ]  # fmt: skip
    threshold_value: float = Field(strict=False)
    duration: Duration
    trigger: Trigger | None = None


class Condition(Strict):
    display_name: str
    condition_threshold: MetricThreshold


class Documentation(Strict):
    content: str
    mime_type: Literal["text/markdown"]
    subject: str | None = None


class AlertPolicy(Strict):
    display_name: str = Field(min_length=1)
    combiner: Literal["AND", "OR", "AND_WITH_MATCHING_RESOURCE"]
    conditions: list[Condition] = Field(min_length=1, max_length=6)
    documentation: Documentation | None = None
    severity: Literal["CRITICAL", "ERROR", "WARNING"] | None = None
    enabled: bool | None = None
    notification_channels: list[str] | None = None
    user_labels: dict[str, str] | None = None


# LogMetric, logging v2 (projects.metrics)


class LabelDescriptor(Strict):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    value_type: Literal["STRING", "BOOL", "INT64"]
    description: str | None = None


class MetricDescriptor(Strict):
    metric_kind: Literal["DELTA"]
    value_type: Literal["INT64", "DISTRIBUTION"]
    unit: str
    labels: list[LabelDescriptor] | None = None


class ExplicitBuckets(Strict):
    bounds: list[float] = Field(min_length=1, strict=False)


class BucketOptions(Strict):
    explicit_buckets: ExplicitBuckets


_EXTRACTOR = r'^(EXTRACT\([\w.]+\)|REGEXP_EXTRACT\([\w.]+, "[^"]+"\))$'


class LogMetric(Strict):
    description: str
    filter: str
    metric_descriptor: MetricDescriptor
    label_extractors: dict[str, Annotated[str, Field(pattern=_EXTRACTOR)]] | None = None
    value_extractor: Annotated[str, Field(pattern=_EXTRACTOR)] | None = None
    bucket_options: BucketOptions | None = None

    @model_validator(mode="after")
    def _consistent(self) -> LogMetric:
        labels = {label.key for label in self.metric_descriptor.labels or []}
        # "Each label in the metric descriptor must have a matching label name as the key and
        # an extractor expression as the value in the label_extractors map."
        assert labels == set(self.label_extractors or {}), (labels, self.label_extractors)
        distribution = self.metric_descriptor.value_type == "DISTRIBUTION"
        assert (
            distribution == (self.value_extractor is not None) == (self.bucket_options is not None)
        )
        if self.bucket_options is not None:
            bounds = self.bucket_options.explicit_buckets.bounds
            assert bounds == sorted(set(bounds)), "bounds must increase"
        return self


# ---- the files ----------------------------------------------------------------------------------


def _load(path: Path) -> dict[str, Any]:
    loaded = json.loads(path.read_text())
    assert isinstance(loaded, dict)
    return loaded


def metric_files() -> dict[str, LogMetric]:
    return {p.stem: LogMetric.model_validate(_load(p)) for p in sorted(OPS.glob("metrics/*.json"))}


def dashboard_files() -> dict[str, Dashboard]:
    return {p.name: Dashboard.model_validate(_load(p)) for p in sorted(OPS.glob("dashboards/*"))}


def slo_files() -> dict[str, ServiceLevelObjective]:
    return {
        p.stem: ServiceLevelObjective.model_validate(_load(p))
        for p in sorted(OPS.glob("slos/*.json"))
        if p.stem != "service"
    }


def alert_files() -> dict[str, AlertPolicy]:
    paths = [OPS / "alert-policies.json", *sorted(OPS.glob("slo-alerts/*"))]
    return {p.name: AlertPolicy.model_validate(_load(p)) for p in paths}


def test_every_file_has_the_documented_shape() -> None:
    assert set(metric_files()) >= {"match_created", "match_wait", "code_submit", "server_errors"}
    assert set(dashboard_files()) == {"api.json", "business.json"}
    assert set(slo_files()) == {"match-availability", "match-wait"}
    Service.model_validate(_load(OPS / "slos/service.json"))
    assert len(alert_files()) == 5
    names = [d.display_name for d in dashboard_files().values()]
    names += [a.display_name for a in alert_files().values()]
    assert len(names) == len(set(names)), "deploy.sh finds each again by its display name"


def test_the_models_refuse_unknown_keys_and_missing_ones() -> None:
    policy = _load(OPS / "alert-policies.json")
    with pytest.raises(ValueError, match="extra"):
        AlertPolicy.model_validate({**policy, "conditionz": []})
    with pytest.raises(ValueError, match="combiner"):
        AlertPolicy.model_validate({k: v for k, v in policy.items() if k != "combiner"})
    dashboard = _load(OPS / "dashboards/api.json")
    tile = dashboard["mosaicLayout"]["tiles"][0]
    with pytest.raises(ValueError, match="exactly one of"):
        Dashboard.model_validate({**dashboard, "gridLayout": {"widgets": [tile["widget"]]}})
    with pytest.raises(ValueError, match="overlapping"):
        layout = {"columns": 48, "tiles": [tile, tile]}
        Dashboard.model_validate({**dashboard, "mosaicLayout": layout})


# ---- the filters: every metric named is one deploy.sh creates -----------------------------------


def deploy(tmp_path: Path, *args: str, existing: bool = False) -> str:
    env = {
        **os.environ,
        "FIREBASE": "firebase",
        "PYTHON": sys.executable,
        "DRY_RUN_EXISTING": "1" if existing else "0",
    }
    env.pop("GEMINI_API_KEY", None)
    result = subprocess.run(
        ["bash", str(ROOT / "deploy.sh"), "--project", PROJECT, "--dry-run", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def plans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[list[str]]]:
    """The dry run's commands, with every resource missing ("new") and present ("existing")."""
    tmp = tmp_path_factory.mktemp("plans")
    channels = ("--alert-email", "a@b.example", "--alert-channel", "4242")
    another = ("--alert-channel", f"projects/{PROJECT}/notificationChannels/7")
    out = {
        "new": deploy(tmp, *channels),
        "existing": deploy(tmp, *channels, *another, existing=True),
    }
    return {
        key: [shlex.split(line[2:]) for line in text.splitlines() if line.startswith("+ ")]
        for key, text in out.items()
    }


def created_metrics(commands: list[list[str]]) -> dict[str, LogMetric]:
    created = {}
    for command in commands:
        if command[3:6] == ["logging", "metrics", "create"]:
            (config,) = [a.split("=", 1)[1] for a in command if a.startswith("--config-from-file=")]
            created[command[6]] = LogMetric.model_validate(_load(ROOT / config))
    return created


_NAMED = re.compile(r'metric\.type="([^"]+)"')
_LABEL = re.compile(r"metric\.labels?\.(\w+)")


def _filters(document: Any) -> Iterator[tuple[str, str]]:
    """Each time-series filter (and group-by field) in a document, with its key."""
    if isinstance(document, dict):
        for key, value in document.items():
            if isinstance(value, str) and (key.endswith(("filter", "Filter"))):
                yield key, value
            elif key == "groupByFields":
                yield from ((key, field) for field in value)
            else:
                yield from _filters(value)
    elif isinstance(document, list):
        for item in document:
            yield from _filters(item)


def _named_metric(text: str) -> str | None:
    found = _NAMED.findall(text)
    assert len(found) <= 1, text
    if not found:
        return None
    assert found[0].startswith(USER_METRIC), f"not a log-based metric: {found[0]}"
    return str(found[0])[len(USER_METRIC) :]


def test_every_metric_and_label_named_is_one_deploy_creates(
    plans: dict[str, list[list[str]]],
) -> None:
    created = created_metrics(plans["new"])
    assert set(created) == set(metric_files())
    documents = [
        *(_load(p) for p in OPS.glob("dashboards/*.json")),
        *(_load(p) for p in OPS.glob("slos/*.json")),
        *(_load(p) for p in OPS.glob("slo-alerts/*.json")),
        _load(OPS / "alert-policies.json"),
    ]
    named = set()
    for document in documents:
        for key, text in _filters(document):
            if key == "groupByFields":
                continue
            if text.startswith("select_slo_"):
                continue  # an SLO, checked below
            metric = _named_metric(text)
            assert metric in created, f"{metric} is not created by deploy.sh"
            named.add(metric)
            labels = {d.key for d in created[metric].metric_descriptor.labels or []}
            assert set(_LABEL.findall(text)) <= labels, (metric, text)
        # Group-by labels are labels of the metric the same query names.
        for part in _queries(document):
            metric = _named_metric(part["filter"])
            assert metric is not None
            fields = part.get("aggregation", {}).get("groupByFields", [])
            labels = {d.key for d in created[metric].metric_descriptor.labels or []}
            assert {f.split(".")[-1] for f in fields} <= labels, (metric, fields)
    # Every business figure has a metric that something shows.
    assert named >= {
        "match_requested", "match_created", "match_wait", "match_timed_out", "ai_call",
        "code_run", "code_submit", "server_errors", "http_responses", "http_latency",
    }  # fmt: skip


def _queries(document: Any) -> Iterator[dict[str, Any]]:
    if isinstance(document, dict):
        if isinstance(document.get("filter"), str) and "aggregation" in document:
            yield document
        for value in document.values():
            yield from _queries(value)
    elif isinstance(document, list):
        for item in document:
            yield from _queries(item)


def test_each_chart_aggregates_its_metric_the_way_its_kind_allows() -> None:
    metrics = metric_files()
    for name, dashboard in dashboard_files().items():
        for part in _queries(dashboard.model_dump(exclude_none=True, by_alias=True)):
            metric = metrics[str(_named_metric(part["filter"]))]
            aggregation = part["aggregation"]
            # Log-based metrics are DELTA: counted per period, never a per-second rate.
            assert aggregation["perSeriesAligner"] == "ALIGN_DELTA", (name, part)
            reducer = aggregation["crossSeriesReducer"]
            if metric.metric_descriptor.value_type == "DISTRIBUTION":
                assert reducer.startswith("REDUCE_PERCENTILE_"), (name, part)
            else:
                assert reducer == "REDUCE_SUM", (name, part)


def test_the_slos_read_the_right_kinds_of_metric_and_cut_on_a_bucket_bound() -> None:
    metrics = metric_files()
    availability = slo_files()["match-availability"]
    ratio = availability.service_level_indicator.request_based.good_total_ratio
    assert ratio is not None and availability.goal == 0.995
    assert availability.rolling_period == f"{28 * 86400}s"
    for text in (ratio.bad_service_filter, ratio.total_service_filter):
        assert text is not None and 'metric.label.function="match_request"' in text
        assert metrics[str(_named_metric(text))].metric_descriptor.value_type == "INT64"
    assert _named_metric(str(ratio.bad_service_filter)) == "server_errors"
    assert _named_metric(str(ratio.total_service_filter)) == "http_responses"
    wait = slo_files()["match-wait"]
    cut = wait.service_level_indicator.request_based.distribution_cut
    assert cut is not None and wait.goal == 0.95 and cut.range.max == 5
    metric = metrics[str(_named_metric(cut.distribution_filter))]
    assert metric.metric_descriptor.value_type == "DISTRIBUTION"
    assert metric.bucket_options is not None and 5 in metric.bucket_options.explicit_buckets.bounds


def test_each_slo_has_a_fast_and_a_slow_burn_rate_alert() -> None:
    burns = {}
    for name, policy in alert_files().items():
        for condition in policy.conditions:
            found = re.fullmatch(
                r'select_slo_burn_rate\("projects/PROJECT_ID/services/peerprep/'
                r'serviceLevelObjectives/([\w-]+)", "(\d+)m"\)',
                condition.condition_threshold.filter,
            )
            if found is None:
                assert "select_slo" not in condition.condition_threshold.filter
                continue
            threshold = condition.condition_threshold
            assert threshold.comparison == "COMPARISON_GT" and threshold.aggregations is None
            burns[(found[1], int(found[2]))] = (threshold.threshold_value, policy.severity, name)
    assert burns == {
        (slo, lookback): (rate, severity, f"{slo}-{speed}.json")
        for slo in slo_files()
        for speed, lookback, rate, severity in (
            ("fast", 60, 14.4, "CRITICAL"),
            ("slow", 360, 6, "WARNING"),
        )
    }


# ---- deploy.sh applies each file, idempotently, with every channel ------------------------------


def _policies(commands: list[list[str]]) -> list[list[str]]:
    return [c for c in commands if c[3:6] == ["alpha", "monitoring", "policies"]]


def test_a_first_deploy_creates_everything_with_every_channel(
    plans: dict[str, list[list[str]]],
) -> None:
    commands = plans["new"]
    dashboards = [c for c in commands if c[3:6] == ["monitoring", "dashboards", "create"]]
    assert sorted(c[6] for c in dashboards) == [
        f"--config-from-file=ops/dashboards/{name}" for name in sorted(dashboard_files())
    ]
    curls = [c for c in commands if c[0] == "curl"]
    api = f"https://monitoring.googleapis.com/v3/projects/{PROJECT}"
    assert [(c[c.index("--request") + 1], c[c.index("--request") + 2]) for c in curls] == [
        ("POST", f"{api}/services?serviceId=peerprep"),
        *(
            ("POST", f"{api}/services/peerprep/serviceLevelObjectives?serviceLevelObjectiveId={s}")
            for s in sorted(slo_files())
        ),
    ]
    assert [c[c.index("--data-binary") + 1] for c in curls] == [
        "@ops/slos/service.json",
        *(f"@ops/slos/{s}.json" for s in sorted(slo_files())),
    ]
    channels = (
        f"projects/{PROJECT}/notificationChannels/4242,"
        f"projects/{PROJECT}/notificationChannels/CHANNEL_ID"
    )
    policies = _policies(commands)
    assert len(policies) == len(alert_files())
    applied = []
    for command in policies:
        assert command[6] == "create" and command[-1] == f"--notification-channels={channels}"
        (source,) = [a for a in command if a.startswith("--policy")]
        flag, value = source.split("=", 1)
        if flag == "--policy-from-file":
            applied.append(_load(ROOT / value))
        else:
            # Rendered for the project: the SLO it watches is this project's.
            assert "PROJECT_ID" not in value and f"projects/{PROJECT}/services/" in value
            applied.append(json.loads(value.replace(PROJECT, "PROJECT_ID")))
    assert sorted(applied, key=str) == sorted(
        (p.model_dump(exclude_none=True, by_alias=True) for p in alert_files().values()), key=str
    )


def test_a_second_deploy_updates_in_place(plans: dict[str, list[list[str]]]) -> None:
    commands = plans["existing"]
    assert not any("create" in c for c in commands if c[3:5] == ["logging", "metrics"])
    updates = [c for c in commands if c[3:6] == ["monitoring", "dashboards", "update"]]
    assert len(updates) == len(dashboard_files())
    for command in updates:
        assert command[6] == "projects/123456789012/dashboards/ID"
        (config,) = [a.split("=", 1)[1] for a in command if a.startswith("--config=")]
        sent = json.loads(config)
        assert sent.pop("etag") == "ETAG"  # the etag read just before, so no blind overwrite
        assert sent in [
            d.model_dump(exclude_none=True, by_alias=True) for d in dashboard_files().values()
        ]
    methods = [c[c.index("--request") + 1] for c in commands if c[0] == "curl"]
    assert methods == ["PATCH"] * (1 + len(slo_files()))
    channels = (
        f"projects/{PROJECT}/notificationChannels/4242,"
        f"projects/{PROJECT}/notificationChannels/7,"
        f"projects/{PROJECT}/notificationChannels/CHANNEL_ID"
    )
    policies = _policies(commands)
    assert len(policies) == len(alert_files())
    for command in policies:
        assert command[6:8] == ["update", f"projects/{PROJECT}/alertPolicies/POLICY_ID"]
        assert command[-1] == f"--set-notification-channels={channels}"


def test_bad_alert_channels_are_refused(tmp_path: Path) -> None:
    for bad in ("pagerduty", "projects/p/notificationChannels/", "12,34"):
        result = subprocess.run(
            [
                "bash",
                str(ROOT / "deploy.sh"),
                "--project",
                "p",
                "--dry-run",
                "--alert-channel",
                bad,
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 2 and "bad --alert-channel" in result.stderr, bad


# ---- the metrics read what the code logs --------------------------------------------------------


def _extract(extractor: str, entry: dict[str, Any]) -> Any:
    """Evaluate EXTRACT(field) or REGEXP_EXTRACT(field, "regex") on a LogEntry."""
    found = re.fullmatch(r'(REGEXP_)?EXTRACT\(([\w.]+)(?:, "(.+)")?\)', extractor)
    assert found is not None, extractor
    value: Any = entry
    for part in found[2].split("."):
        value = value[part]
    if found[1]:
        (value,) = re.fullmatch(f".*?{found[3]}.*", str(value)).groups()  # type: ignore[union-attr]
    return value


def _logged_fields() -> dict[str, set[str]]:
    """The keys of each ``extra={"event": NAME, ...}`` dictionary the code in common/ logs."""
    fields: dict[str, set[str]] = {}
    for path in (ROOT / "common").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Dict):
                continue
            keys = [k.value for k in node.keys if isinstance(k, ast.Constant)]
            for key, value in zip(node.keys, node.values, strict=True):
                if (
                    isinstance(key, ast.Constant)
                    and key.value == "event"
                    and isinstance(value, ast.Constant)
                ):
                    fields.setdefault(str(value.value), set()).update(map(str, keys))
    return fields


def test_every_extractor_reads_a_field_the_code_logs_with_that_event() -> None:
    logged = _logged_fields()
    for name, metric in metric_files().items():
        event = re.fullmatch(r'jsonPayload\.event="(\w+)"', metric.filter)
        extractors = [*(metric.label_extractors or {}).values(), metric.value_extractor]
        for extractor in filter(None, extractors):
            field = re.search(r"\(([\w.]+)", extractor)[1]  # type: ignore[index]
            if event is None:  # the request lines of common/http.py
                assert field in {"jsonPayload.function", "httpRequest.latency"}, (name, field)
                continue
            assert field.startswith("jsonPayload."), (name, field)
            assert field.removeprefix("jsonPayload.") in logged[event[1]], (name, field)


def _waiting(uid: str, waited_s: float, at: dt.datetime) -> Waiting:
    created = at - dt.timedelta(seconds=waited_s)
    return Waiting(
        uid=uid,
        request_id=f"r-{uid}",
        difficulty="easy",
        language="python",
        topics=("arrays",),
        relaxed=False,
        created_at=created,
        relax_at=created + dt.timedelta(seconds=10),
        expires_at=created + dt.timedelta(seconds=30),
    )


def test_the_matching_lines_fill_the_wait_distribution_and_labels(
    log_lines: io.StringIO,
) -> None:
    at = dt.datetime.now(dt.UTC)
    _log_sweep(
        SweepResult(
            sessions=[("s1", _waiting("a", 4.2, at), _waiting("b", 1.0, at))],
            timed_out=[_waiting("c", 30.5, at)],
            no_question=[],
        )
    )
    entries = [log_entry(line) for line in log_lines.getvalue().splitlines()]
    metrics = metric_files()
    (created,) = [e for e in entries if matches(metrics["match_created"].filter, e)]
    assert [e for e in entries if matches(metrics["match_wait"].filter, e)] == [created]
    wait = metrics["match_wait"]
    assert wait.value_extractor is not None and wait.label_extractors is not None
    # The wait of the pair is its older request's, a little over 4.2 s: under the SLO's 5 s.
    assert 4.2 <= float(_extract(wait.value_extractor, created)) < 5
    assert _extract(wait.label_extractors["difficulty"], created) == "easy"
    timed_out = metrics["match_timed_out"]
    (entry,) = [e for e in entries if matches(timed_out.filter, e)]
    assert timed_out.label_extractors is not None
    assert {k: _extract(x, entry) for k, x in timed_out.label_extractors.items()} == {
        "reason": "no_partner",
        "difficulty": "easy",
    }


def _served(entry: dict[str, Any]) -> bool:
    """The request line of a call (a span's own line has no httpRequest)."""
    return "httpRequest" in entry


def test_the_request_lines_fill_responses_errors_and_latency(log_lines: io.StringIO) -> None:
    metrics = metric_files()
    (failed,) = [e for e in _request_lines(_app(RuntimeError("a bug")), log_lines) if _served(e)]
    log_lines.seek(0)
    log_lines.truncate()
    (fine,) = [e for e in _request_lines(_app(None), log_lines) if _served(e)]
    for metric, counted in (
        ("http_responses", [failed, fine]),
        ("server_errors", [failed]),
        ("http_latency", [failed, fine]),
    ):
        assert [e for e in (failed, fine) if matches(metrics[metric].filter, e)] == counted
    latency = metrics["http_latency"]
    assert latency.value_extractor is not None and latency.label_extractors is not None
    for entry in (failed, fine):
        seconds = float(_extract(latency.value_extractor, entry))
        assert 0 <= seconds < 5 and entry["httpRequest"]["latency"] == f"{seconds:.4f}s"
        assert _extract(latency.label_extractors["function"], entry) == "probe"


# ---- the same files against gcloud's messages, generated from the discovery documents ----------

_WALK = r"""
import json, sys
sdk = sys.argv[1]
sys.path[:0] = [sdk + "/lib", sdk + "/lib/third_party"]
from apitools.base.protorpclite import messages
from googlecloudsdk.generated_clients.apis.logging.v2 import logging_v2_messages as logging
from googlecloudsdk.generated_clients.apis.monitoring.v1 import monitoring_v1_messages as v1
from googlecloudsdk.generated_clients.apis.monitoring.v3 import monitoring_v3_messages as v3

def walk(value, cls, where):
    fields = {f.name: f for f in cls.all_fields()}
    if set(fields) == {"additionalProperties"}:  # a map
        assert isinstance(value, dict), where
        item = fields["additionalProperties"].type.field_by_name("value")
        for key, sub in value.items():
            check(sub, item, f"{where}.{key}")
        return
    assert isinstance(value, dict), where
    for key, sub in value.items():
        assert key in fields, f"{where}: {key} is not a field of {cls.__name__}"
        field = fields[key]
        if field.repeated:
            assert isinstance(sub, list), f"{where}.{key}"
            for i, item in enumerate(sub):
                check(item, field, f"{where}.{key}[{i}]")
        else:
            check(sub, field, f"{where}.{key}")

def check(value, field, where):
    if isinstance(field, messages.MessageField):
        walk(value, field.type, where)
    elif isinstance(field, messages.EnumField):
        assert value in field.type.names(), f"{where}: {value} not in {sorted(field.type.names())}"
    elif isinstance(field, messages.StringField):
        assert isinstance(value, str), where
    elif isinstance(field, messages.BooleanField):
        assert isinstance(value, bool), where
    elif isinstance(field, messages.IntegerField):
        assert isinstance(value, int) and not isinstance(value, bool), where
    elif isinstance(field, messages.FloatField):
        assert isinstance(value, (int, float)) and not isinstance(value, bool), where
    else:
        raise AssertionError(f"{where}: {type(field).__name__}")

kinds = {"LogMetric": logging.LogMetric, "Dashboard": v1.Dashboard, "Service": v3.Service,
         "ServiceLevelObjective": v3.ServiceLevelObjective, "AlertPolicy": v3.AlertPolicy}
for kind, path in json.load(sys.stdin):
    walk(json.load(open(path)), kinds[kind], path)
print("checked")
"""


@cache
def _gcloud_sdk() -> Path:
    gcloud = shutil.which("gcloud")
    assert gcloud is not None, "the gcloud CLI is missing"
    return Path(gcloud).resolve().parent.parent


def test_the_files_match_the_api_messages_gcloud_generates_from_the_discovery_documents(
    tmp_path: Path,
) -> None:
    sdk = _gcloud_sdk()
    python = next(
        p
        for p in (
            sdk / "platform/bundledpythonunix/bin/python3",
            Path(shutil.which("python3") or ""),
        )
        if p.is_file()
    )
    files = [
        *(("LogMetric", p) for p in OPS.glob("metrics/*.json")),
        *(("Dashboard", p) for p in OPS.glob("dashboards/*.json")),
        ("Service", OPS / "slos/service.json"),
        *(("ServiceLevelObjective", p) for p in OPS.glob("slos/*.json") if p.stem != "service"),
        *(("AlertPolicy", p) for p in [OPS / "alert-policies.json", *OPS.glob("slo-alerts/*")]),
    ]

    def run(documents: list[tuple[str, str]]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(python), "-c", _WALK, str(sdk)],
            input=json.dumps(documents),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    result = run([(kind, str(path)) for kind, path in files])
    assert result.returncode == 0 and result.stdout.strip() == "checked", result.stderr[-2000:]
    # The check itself refuses what the API does not define.
    for kind, document, complaint in (
        ("Dashboard", {"displayName": "x", "mosaicLayout": {"tilez": []}}, "tilez is not a field"),
        ("AlertPolicy", {"combiner": "XOR"}, "XOR not in"),
        ("LogMetric", {"metricDescriptor": {"metricKind": "DELTA", "unit": 1}}, "unit"),
    ):
        bad = tmp_path / f"{kind}.json"
        bad.write_text(json.dumps(document))
        refused = run([(kind, str(bad))])
        assert refused.returncode == 1 and complaint in refused.stderr, refused.stderr[-500:]
