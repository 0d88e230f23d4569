"""Writing an output file whole or not at all."""
from __future__ import annotations

import os
import secrets
from pathlib import Path


def write_atomically(path: str | Path, data: bytes) -> None:
    """Write beside the target, then rename: a crash never leaves half a file under the real name.

    The temporary file is opened with mode 0o666 so the umask applies as for a plain open().
    """
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
