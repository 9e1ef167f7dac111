"""In-memory fakes of the storage ports (tasks, credits and quotas, orders, conversations).

Each fake keeps the same rules as its MongoDB adapter, and both pass one contract suite in
`tests/contract/`, so a unit test on a fake says something true about production. The fakes
take the state-machine tables from `common/` rather than restating them.
"""
