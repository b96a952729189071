"""Spend (issue 18): what the requests the gateway relayed cost.

- `prices`: the price table (resources/prices.toml, overridden per provider in the store's [prices]) and
  the arithmetic that turns one request's tokens into money, time-of-day billing included.
- `usage`: reading the gateway's request log and adding it up per tool, provider, model and day (bounded),
  and the spend rates that feed balance thresholds and forecasts.
"""
