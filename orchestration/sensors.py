"""A run-failure sensor: logs every failed run and, when configured, posts it to a webhook.

``[orchestration] failure_webhook_url`` in ``.dlt/secrets.toml`` (or env
``ORCHESTRATION__FAILURE_WEBHOOK_URL``) takes a Slack-style incoming webhook: the body is
``{"text": "..."}``. The URL carries a token, so it is never logged, not even on error.
"""

from __future__ import annotations

import logging

import requests
from dagster import DefaultSensorStatus, RunFailureSensorContext, run_failure_sensor

from orchestration.settings import failure_webhook_url

logger = logging.getLogger(__name__)

WEBHOOK_TIMEOUT_S = 10.0


def failure_message(context: RunFailureSensorContext) -> str:
    run = context.dagster_run
    partition = run.tags.get("dagster/partition")
    where = f" (partition {partition})" if partition else ""
    reason = (context.failure_event.message or "failed").splitlines()[0]
    return f"dagster run {run.run_id[:8]} of {run.job_name}{where} failed: {reason}"


def post_webhook(url: str, text: str) -> bool:
    try:
        response = requests.post(url, json={"text": text}, timeout=WEBHOOK_TIMEOUT_S)
    except requests.RequestException as exc:
        logger.warning("failure webhook: could not post (%s)", type(exc).__name__)
        return False
    if response.status_code >= 400:
        logger.warning("failure webhook: answered HTTP %s", response.status_code)
        return False
    return True


@run_failure_sensor(
    name="notify_on_run_failure",
    default_status=DefaultSensorStatus.RUNNING,
    monitor_all_code_locations=False,
)
def notify_on_run_failure(context: RunFailureSensorContext) -> None:
    text = failure_message(context)
    context.log.error(text)
    url = failure_webhook_url()
    if url:
        post_webhook(url, text)
