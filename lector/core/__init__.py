"""The contract every stage shares: document model, geometry, typed errors. Imports nothing above it."""
