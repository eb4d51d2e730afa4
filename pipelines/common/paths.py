"""Project locations, computed once so scripts work from any working directory."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SEEDS_DIR = PROJECT_ROOT / "seeds"
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
DLT_CONFIG_DIR = PROJECT_ROOT / ".dlt"
