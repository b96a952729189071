"""Health checks: is each endpoint usable right now, and if not, exactly why.

Public API (Qt-free):
- `results`: `Tier` (reach/auth/deep), `HealthStatus` (fixed vocabulary; `.is_healthy`, `.is_transient`),
  `HealthResult` (frozen; `.to_json()`, `.from_json()`, `.healthy`, `.endpoint_key`).
- `probes.Probe.from_provider(provider, key, protocol=None)` (keys are read by `switchover.services.probes`).
- `runner`: `check_one`, `iter_checks` (async, streams as checks finish), `check_many(..., on_result=)`,
  `check_many_sync` (for worker threads), `CheckOptions` (limits, slow threshold, parallelism, TLS context).
- `http.fetch`: one bounded request (timeouts, body cap, redirect policy) over a `transport.HttpTransport`:
  httpcore's connections directly (`CoreTransport`, on asyncio sockets from `netio`), or httpx clients when the
  environment names a proxy (`ClientTransport`); `http.make_transport` picks.
- `history.HealthHistory`: bounded per-endpoint history on disk, `summary()` for uptime % and median latency.
- `discovery`: `discover_local` / `discover_local_sync` find local model servers; `LocalServer.to_provider()`.
- Error classification rules live in `resources/error_signatures.toml` (`signatures.py` reads them).
"""
