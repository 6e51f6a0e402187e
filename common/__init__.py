"""Shared code for every PeerPrep function and job: config, auth, http, logs, clients, domain."""
