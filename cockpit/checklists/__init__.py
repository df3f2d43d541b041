"""Checklists: the runbooks as guided flows: format, library, checks, actions, runs, journal, report."""
