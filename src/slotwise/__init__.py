"""Slotwise: self-hostable scheduling."""

import zoneinfo

# Time zone rules come from the pinned `tzdata` wheel, never from the host's (older) /usr/share/zoneinfo,
# so every machine computes the same instants. This must run before any ZoneInfo is built.
zoneinfo.reset_tzpath([])

__version__ = "0.1.0"
