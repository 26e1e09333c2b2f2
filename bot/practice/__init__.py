"""The practice application layer: sessions over the domain core, storage behind a protocol."""
