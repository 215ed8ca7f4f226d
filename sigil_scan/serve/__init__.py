"""`sigil serve`: the reference receiver for tests and pilots (stdlib http.server + ssl + sqlite).

Modules: config (options, tokens file), store (sqlite), ingest (validate + dedup a native batch),
handler (routes, limits, auth), server (TLS context, ThreadingHTTPServer).
"""
