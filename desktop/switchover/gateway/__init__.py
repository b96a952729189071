"""The local gateway: tools talk to 127.0.0.1, the gateway talks to the provider the tool's route serves now.

``translate`` holds the pure protocol translation (no I/O); the server, routes, failover and keys live next
to it.
"""
