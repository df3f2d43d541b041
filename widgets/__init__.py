"""Passive display pieces: data goes in through reactives and update methods, messages come out.

Widgets import only textual, rich and cockpit's model types; never sources, config or the app.
"""
