"""AI providers behind one interface (base.py): the catalogue, the registry that builds them, the adapters.

`sim` needs no key and is the default. Real adapters (gemini, veo, sora) read
their API keys through a lookup the composition root hands the registry, so a
key the admin rotates is used within seconds. No module here imports an
adapter of ours (secrets, database, storage): they get what they need as
arguments.
"""
