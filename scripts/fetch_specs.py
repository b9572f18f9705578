"""Fetch the official JSON Schema of AsyncAPI 3.0.0 for the tests, pinned and checked.

The schema is published in the npm package @asyncapi/specs (the AsyncAPI Initiative's own). It is
downloaded once per machine from the npm registry into ~/.cache/zorgtafel/, checked against the
integrity the registry publishes for that version (sha512), and the one file the tests need is
copied to .local/specs/. Run by scripts/setup; safe to run twice.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import sys
import tarfile
import urllib.request
from pathlib import Path

VERSION = "6.11.1"
URL = f"https://registry.npmjs.org/@asyncapi/specs/-/specs-{VERSION}.tgz"
INTEGRITY = "sha512-A3WBLqAKGoJ2+6FWFtpjBlCQ1oFCcs4GxF7zsIGvNqp/klGUHjlA3aAcZ9XMMpLGE8zPeYDz2x9FmO6DSuKraQ=="
MEMBER = "package/schemas/3.0.0-without-$id.json"
ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / ".local" / "specs" / "asyncapi-3.0.0.schema.json"


def main() -> int:
    if TARGET.is_file():
        return 0
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "zorgtafel" / f"asyncapi-specs-{VERSION}.tgz"
    if not cache.is_file():
        cache.parent.mkdir(parents=True, exist_ok=True)
        with urllib.request.urlopen(URL, timeout=120) as response:  # noqa: S310 (a fixed https URL)
            cache.write_bytes(response.read())
    blob = cache.read_bytes()
    digest = "sha512-" + base64.b64encode(hashlib.sha512(blob).digest()).decode()
    if digest != INTEGRITY:
        cache.unlink()
        print(f"{URL}: integrity mismatch (removed the download; run again)", file=sys.stderr)
        return 1
    with tarfile.open(fileobj=io.BytesIO(blob)) as archive:
        member = archive.extractfile(MEMBER)
        if member is None:
            print(f"{MEMBER} missing from {URL}", file=sys.stderr)
            return 1
        TARGET.parent.mkdir(parents=True, exist_ok=True)
        TARGET.write_bytes(member.read())
    return 0


if __name__ == "__main__":
    sys.exit(main())
