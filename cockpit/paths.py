"""Where ops-cockpit keeps its files: platform directories, overridable by environment.

``COCKPIT_STATE_DIR`` moves the state store (tests and the sandbox use it);
``COCKPIT_CONFIG`` names the config file.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "ops-cockpit"
CONFIG_FILE_NAME = "cockpit.toml"


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME))


def default_config_path() -> Path:
    return config_dir() / CONFIG_FILE_NAME


def state_dir() -> Path:
    override = os.environ.get("COCKPIT_STATE_DIR")
    if override:
        return Path(override)
    return Path(platformdirs.user_state_dir(APP_NAME))


def state_db_path() -> Path:
    return state_dir() / "state.sqlite3"
