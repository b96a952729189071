"""The local gateway: tools talk to 127.0.0.1, the gateway talks to the provider the tool's route serves now.

Tools pointed at `http://127.0.0.1:PORT/<tool-id>` hold only a local gateway token; the gateway adds the
real key from the keychain, fails over down the tool's chain before the first byte reaches the tool, and
translates protocols where the upstream lacks the tool's own.

``translate`` holds the pure protocol translation (no I/O). Next to it: ``routing`` and ``breaker`` (pure
decisions), ``security`` (pure request checks), ``upstream`` (the injected client), ``keys``, ``requestlog``
and ``server`` (aiohttp). Qt-free, above core only; services wire it to the store, keychain and history.
"""
