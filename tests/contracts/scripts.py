"""Load a script from scripts/ as a module, so tests call its functions instead of its CLI."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from tests.support.components import REPO_ROOT


def load_script(name: str) -> ModuleType:
    """Import ``scripts/<name>.py`` (once per process) under the name ``scripts_<name>``."""
    module_name = f"scripts_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    path = Path(REPO_ROOT) / "scripts" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module
