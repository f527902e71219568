"""The SUT probe: the API's Prometheus text becomes a sut.jsonl row; hit ratios come from deltas."""

from __future__ import annotations

from loadtests.probe import Probe, hit_ratio, parse_metrics

TEXT = """\
# TYPE taskapi_cache_requests_total counter
taskapi_cache_requests_total{cache="task_list",method="GET",route="/tasks",result="hit"} 90.0
taskapi_cache_requests_total{cache="task_list",method="GET",route="/tasks",result="miss"} 10.0
taskapi_cache_requests_total{cache="task",method="GET",route="/tasks/{id}",result="bypass"} 5.0
# TYPE taskapi_rate_limited_total counter
taskapi_rate_limited_total{scope="user"} 3.0
taskapi_rate_limited_total{scope="ip"} 1.0
# TYPE taskapi_circuit_breaker_state gauge
taskapi_circuit_breaker_state{breaker="cache"} 2.0
# TYPE taskapi_store_operation_duration_seconds histogram
taskapi_store_operation_duration_seconds_bucket{operation="get_task",le="0.001"} 4.0
taskapi_store_operation_duration_seconds_bucket{operation="get_task",le="+Inf"} 5.0
taskapi_store_operation_duration_seconds_count{operation="get_task"} 5.0
taskapi_store_operation_duration_seconds_sum{operation="get_task"} 0.012
"""


def test_metrics_text_becomes_a_sample_keyed_by_endpoint_and_cache():
    s = parse_metrics(TEXT, t=1.0)
    assert s.cache == {"GET /tasks": {"hit": 90, "miss": 10}, "GET /tasks/{id}": {"bypass": 5}}
    assert s.caches["task_list"] == {"hit": 90, "miss": 10}
    assert s.rate_limited == 4 and s.breakers == {"cache": 2}
    assert s.store_ops == {"get_task": {"count": 5, "sum_s": 0.012}}


def test_hit_ratio_is_over_the_counters_deltas_with_bypasses_as_misses():
    first = parse_metrics(TEXT, t=1.0)
    text = TEXT.replace('result="hit"} 90.0', 'result="hit"} 180.0')
    later = parse_metrics(text.replace('result="bypass"} 5.0', 'result="bypass"} 15.0'), t=2.0)
    assert hit_ratio(first, later) == 90 / (90 + 10)  # 90 more hits, 10 more bypasses
    assert hit_ratio(first, first) is None


def test_an_unreachable_sut_is_a_failed_sample_not_an_exception():
    sample = Probe("http://127.0.0.1:9", timeout=1).sample()
    assert sample.ok is False and "127.0.0.1:9" in sample.error


QUEUE_METRICS = """\
taskapi_events_published_total{event="task.created"} 12.0
taskapi_events_published_total{event="task.completed"} 3.0
taskapi_events_confirmed_total{event="task.created"} 10.0
taskapi_events_outboxed_total{event="task.created"} 2.0
taskapi_outbox_depth 2.0
taskapi_queue_depth{queue="taskapi.email"} 7.0
taskapi_queue_depth{queue="taskapi.email.dead"} 1.0
taskapi_queue_oldest_message_age_seconds{queue="taskapi.email"} 4.5
"""


def test_the_backlog_and_event_counters_are_read_from_the_metrics():
    from loadtests.probe import parse_queue_metrics

    parsed = parse_queue_metrics(QUEUE_METRICS)
    assert parsed["queues"]["taskapi.email"] == {"depth": 7.0, "age_s": 4.5}
    assert parsed["queues"]["taskapi.email.dead"] == {"depth": 1.0, "age_s": 0.0}
    assert parsed["events"] == {"published": 15.0, "confirmed": 10.0, "outboxed": 2.0, "outbox_depth": 2.0}


def test_a_sample_carries_the_backlog_and_counts_work_queues_and_the_outbox_not_dead_letters():
    s = parse_metrics(TEXT + QUEUE_METRICS, t=1.0)
    assert s.queues == {"taskapi.email": {"depth": 7.0, "age_s": 4.5},
                        "taskapi.email.dead": {"depth": 1.0, "age_s": 0.0}}
    assert s.events["published"] == 15.0 and s.events["outbox_depth"] == 2.0
    assert s.backlog() == 7 + 2  # the dead letter waits for a person, not for the worker
    assert parse_metrics(TEXT, t=1.0).backlog() is None  # no queues: the API publishes no events
