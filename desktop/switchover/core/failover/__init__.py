"""Failover (issue 5): fallback chains per tool, a health monitor with hysteresis, explained decisions.

- `chains`: which provider/model choices a tool may use, in order (`store.chains`).
- `settings`: the `[failover]` store table (interval, thresholds, dwell, switch-back time, modes).
- `policy`: the pure decision logic (health ledger, hysteresis, dwell, switch back).
- `decisions`: decision records with evidence, and their bounded history.
- `monitor`: the loop (scheduling, backoff, sleep/wake), behind small interfaces so it stays Qt- and
  target-free; the app runs it in a worker thread and observes decisions.
- `checker`: the real health checker (keys from the keychain, `check_many_sync`).
"""
