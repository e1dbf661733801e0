"""Runs another checkout's hub node (its own `bench/_hub_node.py`, as `python -m
bench._hub_node` would) with bench/city.py's hooks, for a checkout whose node has none:

    cd DIR && PYTHONPATH=DIR python /this/checkout/bench/_city_node.py PORT DATA_DIR

The hooks (bench/_city_hooks.py of this checkout, loaded by its path) are installed on the app
that the checkout's `hub.app.create_app` makes; everything else is the checkout's code.
"""

from __future__ import annotations

import importlib.util
import os
import runpy
import sys
from pathlib import Path
from typing import Any

HOOKS = Path(__file__).resolve().with_name("_city_hooks.py")


def main() -> None:
    # Run as a script, this file's folder came first on the path: it holds bench/queueing.py,
    # which would hide the queueing package. The checkout (cwd, PYTHONPATH) comes first instead.
    here = str(HOOKS.parent)
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    sys.path.insert(0, os.getcwd())
    spec = importlib.util.spec_from_file_location("_bench_city_hooks", HOOKS)
    assert spec is not None
    assert spec.loader is not None
    hooks = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = hooks
    spec.loader.exec_module(hooks)

    import hub.app

    create_app = hub.app.create_app

    def instrumented(*args: Any, **kwargs: Any) -> Any:
        app = create_app(*args, **kwargs)
        hooks.install(app)
        return app

    hub.app.create_app = instrumented
    sys.argv = [str(Path("bench/_hub_node.py").resolve()), *sys.argv[1:]]
    runpy.run_module("bench._hub_node", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
