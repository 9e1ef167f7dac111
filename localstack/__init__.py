"""The local stack: every function behind one port, with the emulators, for `make dev` and tests."""
