"""The storage-type seam: sparse arrays (placeholder module, being written)."""
