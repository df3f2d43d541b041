"""Secrets: credentials from the OS keyring, rotations recorded, the keyring unlocked."""
