"""Synthetic training data: corpus, validated fonts, distortions, word crops in resumable shards, whole pages and photo-like pages."""
