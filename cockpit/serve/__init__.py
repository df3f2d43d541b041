"""``cockpit serve``: the cockpit in a browser for observers, with bounded sessions."""
