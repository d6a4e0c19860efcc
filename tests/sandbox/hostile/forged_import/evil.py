"""Hostile: while being imported, hunt for the key, sign a result saying every module imports, end the process."""
import os

from hunt import forge, hunt

forge({"modules": [], "complete": True, "stopped_at": None}, hunt())
os._exit(0)
