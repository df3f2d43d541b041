"""Backups: stores, their inventory, and the guarded run, verify, export and retention."""
