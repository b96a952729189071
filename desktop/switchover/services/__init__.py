"""The wiring between core and the surfaces (Qt-free): everything the CLI, the app and the gateway share.

Layers, one direction: `switchover.core` ← `switchover.targets`, `switchover.gateway` ← `switchover.services`
← `switchover.cli`, `switchover.ui`. The CLI and the app call these modules and never build engines, key
commands, probes or monitors themselves, so both surfaces behave the same:

- `keys`: the one key-helper command tools run (`key_helper_command`), and `KeySource`, the one policy for
  reading keys (the keychain is opened only when a provider keeps its key there).
- `switching`: the engine factory (`make_engine`), switch requests (`switch_request`), post-switch
  verification (`verify_switch`), what each tool uses now (`tool_rows`), shell exports.
- `probes`: providers → health probes with one key policy (`build_probes`), and `sweep`, which checks them
  and records the history once.
- `failover`: the failover monitor wired to the real tools, engine and checks (`build_monitor`).

Importing this package imports nothing; each module pulls in only what it needs (`switchover key` stays light).
"""
