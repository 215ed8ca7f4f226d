"""Fleet delivery: `sigil upload` reads the spool and delivers it to a receiver or a SIEM.

Modules, one job each: config (YAML + secrets), backoff, transport (HTTPS with the stdlib),
sinks (native / Splunk HEC / Elasticsearch `_bulk`), syslog (RFC 5424 over TLS), deadletter,
status (heartbeat and lag), packpull (signed rule packs), runner (the delivery loop).
Nothing here is imported on `sigil scan`'s path.
"""
