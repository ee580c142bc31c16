"""Run llama.cpp's server so that it exits when the process that started it is gone.

``python -m longwriter.llm.serve_guard PARENT_PID <llama_cpp.server arguments>``: a watchdog thread polls
the parent and ends this process if the parent died (even by SIGKILL), so no server is ever left behind.
The server's ``/v1/models`` answers without waiting for the model (:func:`unlock_model_list`).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import Any

MODELS_PATH = "/v1/models"


def _watch(parent: int) -> None:
    while True:
        if os.getppid() != parent:
            os._exit(0)
        time.sleep(0.5)


def unlock_model_list() -> bool:
    """Make llama-cpp-python's ``/v1/models`` list the served aliases without taking the model's lock.

    Its handler takes the lock every generation holds, so the list waited for the reply being
    streamed and every request queued before it (59 s behind four 600-token streams in one probe):
    a run that started beside others failed asking for it (``check_endpoint`` and ``server_kind``
    give up after 10 s per try). The list is the alias table, which no request changes. Call before
    the app is made; False (the route left as it is) if this llama-cpp-python has no such route.
    """
    from fastapi import Depends, HTTPException
    from fastapi.routing import APIRoute
    from llama_cpp.server import app

    routes = app.router.routes
    found = [
        r
        for r in routes
        if isinstance(r, APIRoute) and r.path == MODELS_PATH and "GET" in (r.methods or ())
    ]
    if len(found) != 1 or not callable(getattr(app, "authenticate", None)):
        return False

    async def get_models() -> dict[str, Any]:
        proxy = app._llama_proxy
        if proxy is None:
            raise HTTPException(status_code=503, detail="Service is not available")
        data = [{"id": a, "object": "model", "owned_by": "me", "permissions": []} for a in proxy]
        return {"object": "list", "data": data}

    routes.remove(found[0])
    app.router.add_api_route(
        MODELS_PATH,
        get_models,
        methods=["GET"],
        summary=found[0].summary,
        tags=list(found[0].tags),
        dependencies=[Depends(app.authenticate)],
    )
    return True


def main() -> None:
    """Start the watchdog, then llama_cpp.server's own entry point with the remaining arguments."""
    parent = int(sys.argv[1])
    threading.Thread(target=_watch, args=(parent,), daemon=True).start()
    sys.argv = ["llama_cpp.server", *sys.argv[2:]]
    unlock_model_list()
    from llama_cpp.server.__main__ import main as serve

    serve()


if __name__ == "__main__":
    main()
