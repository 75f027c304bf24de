"""Calendar connectors: each turns a source into the normalized event frame (SPEC §3)."""
