"""What names a cached result and where it is kept: the digests of the source it
depends on (`code`, through one import walker, `closure`) and the store of atomic,
checksummed entries (`store`)."""
