"""Balance and spend (issue 18): see a prepaid provider running out before requests fail.

- `results`: what a balance probe found (`ok`, `low`, `empty`, `unavailable`, or a failure) with the amount.
- `spec`: which documented balance API a provider has (data in resources/providers.toml), and where to ask.
- `parse`: each provider's documented JSON shape turned into one reading, or a clear complaint.
- `probe`: the bounded, redirect-safe fetch (the health checks' HTTP) and its classification.
- `settings`: the store's `[balance]` table: per-provider low thresholds and endpoint overrides.
- `history`: recent readings per provider (bounded), for the UI and a spend rate from balance drops.
- `forecast`: spend rates, derived thresholds and "runs out in about N days".
"""
