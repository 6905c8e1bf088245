"""Training engine: tokenisation and batching (data), the resumable training loop (loop), public API (api)."""
