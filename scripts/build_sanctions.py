"""Build data/sources/sanctions/ofac_sdn_names.csv from copies of OFAC's official SDN files.

    python scripts/build_sanctions.py SDN_CSV [ALT_CSV]

Keeps entities and individuals (their primary names and aliases), leaves vessels and aircraft out; parsing is
lib/sanctions_lists.py's, the same code an editor's import of a newer file runs. The list's publication date, origin
and licence are in data/sources/sanctions/lists.csv (edit it with the copy's date when rebuilding).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lib.sanctions_lists import SANCTIONS_DIR, parse_sdn_csv, write_names_file  # noqa: E402


def main(argv: list[str]) -> int:
    if not 1 <= len(argv) <= 2:
        print(__doc__)
        return 2
    sdn = Path(argv[0])
    alt = Path(argv[1]).read_bytes() if len(argv) == 2 else None
    names = parse_sdn_csv(sdn.read_bytes(), sdn.name, alt)
    target = SANCTIONS_DIR / "ofac_sdn_names.csv"
    write_names_file(target, names)
    entries = {n.entry_id for n in names}
    entities = {n.entry_id for n in names if n.entry_type == "entity"}
    print(f"{target}: {len(names)} names of {len(entries)} entries ({len(entities)} entities)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
