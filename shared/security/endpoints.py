"""What a service's code reads and writes, read off its FastStream broker (nothing connects).

The ACLs of a service are derived from here and nowhere else: a subscriber added in code gets
its rule the next time `zorgtafel security apply` runs, and a topic no code reads or writes gets
none. A subscription or publisher this module cannot place (an unknown topic pattern) is an
error, not a silent gap or a wider rule.
"""

from __future__ import annotations

from typing import Any

from shared.contracts.topics import PARTNER_INBOUND_PATTERN, PARTNER_INBOX_PATTERN
from shared.security.acls import Endpoints


class UnplaceableEndpointError(ValueError):
    """A pattern subscription or templated publisher that no ACL rule here knows how to grant."""


def endpoints_of(service: str, broker: Any, topic_prefix: str) -> Endpoints:
    """The topics `broker`'s subscribers read (with their consumer groups) and its publishers
    write, with `topic_prefix` applied as the runtime applies it. Raises UnplaceableEndpointError."""
    reads: set[str] = set()
    groups: set[str] = set()
    reads_every_inbound = False
    for subscriber in broker.subscribers:
        pattern = getattr(subscriber, "_pattern", None)
        if pattern is not None:
            if pattern != PARTNER_INBOUND_PATTERN:
                raise UnplaceableEndpointError(f"{service}: pattern subscription {pattern}")
            reads_every_inbound = True
        reads |= {topic.name for topic in subscriber.topics}
        if subscriber.group_id:
            groups.add(subscriber.group_id)
    writes: set[str] = set()
    writes_every_inbox = False
    for publisher in broker.publishers:
        topic = str(publisher.topic)
        if topic == f"{topic_prefix}{PARTNER_INBOX_PATTERN}":
            writes_every_inbox = True
        elif topic == f"{topic_prefix}{PARTNER_INBOUND_PATTERN}":
            continue  # documents what a party sends (AsyncAPI); a party's own topic, never a service's
        elif "{" in topic:
            raise UnplaceableEndpointError(f"{service}: templated publisher {topic}")
        else:
            writes.add(topic)
    return Endpoints(service, frozenset(reads), frozenset(groups), frozenset(writes), reads_every_inbound,
                     writes_every_inbox)
