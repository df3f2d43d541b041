-- An exact reading of one B-tree index's leaf density and fragmentation (pgstatindex reads every
-- page: run on the operator's request only, under a statement timeout).
SELECT index_size, avg_leaf_density, leaf_fragmentation FROM pgstatindex(%(relation)s::regclass)
