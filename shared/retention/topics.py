"""Which retention category each Kafka topic falls under, and the topic configuration that follows.

What lies on a topic cannot be crypto-shredded per case when it is sealed with a party's or the
hub's transport key (party inbound and inbox topics, command topics) or is raw bytes (the
dead-letter topic). Such copies are bounded by the topic's own retention instead: covenant art. 1.2
and Bijlage 3 (data that is no longer necessary is destroyed), enforced by Kafka's topic configs
`retention.ms`, `cleanup.policy=delete` and `segment.ms`. The terms are the policy's `by_age` rules, so the
policy file and the broker's topic configuration say the same thing.
"""

from __future__ import annotations

import re

from shared.contracts.topics import PREFIX, Topic
from shared.retention.categories import Category
from shared.retention.policy import MS_PER_DAY, RetentionPolicy

# Kafka deletes whole log segments older than `retention.ms`; `compact` would keep the last
# message per key for ever, which no category of ours allows.
CLEANUP_POLICY = "delete"
# Kafka deletes whole segments, once the newest message in one is older than `retention.ms`, and
# rolls a segment after `segment.ms` (7 days by default): a copy could outlive its term by a week.
# Rolling daily bounds that to one day.
SEGMENT_MS = MS_PER_DAY

_SLUG = r"[a-z0-9]+(?:-[a-z0-9]+)*"
# Most specific first: the audit stream is an events stream with a longer term.
_RULES: tuple[tuple[re.Pattern[str], Category], ...] = (
    (re.compile(rf"^{PREFIX}\.partner\.{_SLUG}\.(?:inbound|inbox)\.v\d+$"), Category.TRANSPORT_COPIES),
    (re.compile(rf"^{PREFIX}\.dead-letter\.v\d+$"), Category.DEAD_LETTERS),
    (re.compile(rf"^{PREFIX}\.audit\.events\.v\d+$"), Category.AUDIT_RECORDS),
    (re.compile(rf"^{PREFIX}\.staff\.answers\.v\d+$"), Category.STAFF_ANSWERS),
    (re.compile(rf"^{PREFIX}\.{_SLUG}\.commands\.v\d+$"), Category.TRANSPORT_COPIES),
    (re.compile(rf"^{PREFIX}\.{_SLUG}\.events\.v\d+$"), Category.HUB_EVENTS),
)


def retention_category(topic_name: str) -> Category:
    """The by-age category of a registry topic, by its name without the environment's prefix.

    Party inbound/inbox and every `commands` topic: TRANSPORT_COPIES (sealed with transport keys);
    the dead-letter topic: DEAD_LETTERS; the audit topic: AUDIT_RECORDS; the answers to staff
    commands: STAFF_ANSWERS; every other `events` topic: HUB_EVENTS. Raises ValueError for any other name: a topic nobody classified gets no
    silent default term. The message quotes the name (topic names hold no personal data).
    """
    for pattern, category in _RULES:
        if pattern.match(topic_name):
            return category
    raise ValueError(f"topic {topic_name!r} has no retention category (give the name without the prefix)")


def retention_days(topic: Topic, policy: RetentionPolicy) -> int:
    """The topic's retention in (24-hour) days under `policy`."""
    return policy.by_age[retention_category(topic.name)].term_days


def topic_configs(topic: Topic, policy: RetentionPolicy) -> dict[str, str]:
    """The Kafka topic configs the policy asks for, as Kafka wants them (strings): `retention.ms` (the
    category's term in milliseconds), `cleanup.policy=delete` and `segment.ms` (at most a day), so a
    message is gone within a day after its term. Raises ValueError for a topic without a category."""
    retention_ms = policy.retention_ms(retention_category(topic.name))
    return {
        "cleanup.policy": CLEANUP_POLICY,
        "retention.ms": str(retention_ms),
        "segment.ms": str(min(SEGMENT_MS, retention_ms)),
    }
