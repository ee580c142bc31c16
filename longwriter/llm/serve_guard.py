"""Run llama.cpp's server so that it exits when the process that started it is gone.

``python -m longwriter.llm.serve_guard PARENT_PID <llama_cpp.server arguments>``: a watchdog thread polls
the parent and ends this process if the parent died (even by SIGKILL), so no server is ever left behind.
"""

from __future__ import annotations

import os
import sys
import threading
import time


def _watch(parent: int) -> None:
    while True:
        if os.getppid() != parent:
            os._exit(0)
        time.sleep(0.5)


def main() -> None:
    """Start the watchdog, then llama_cpp.server's own entry point with the remaining arguments."""
    parent = int(sys.argv[1])
    threading.Thread(target=_watch, args=(parent,), daemon=True).start()
    sys.argv = ["llama_cpp.server", *sys.argv[2:]]
    from llama_cpp.server.__main__ import main as serve

    serve()


if __name__ == "__main__":
    main()
