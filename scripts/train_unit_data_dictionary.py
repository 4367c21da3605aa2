"""Train a zstd dictionary for the stored unit-data documents (``apis.unit_data.documents``).

The samples are the demo history's documents (the shape the reference apis-web reports, with the shared
physics model's values) normalised by the ingest parser exactly as they are stored, over a week of several
clusters so that the dictionary learns the keys, the fixed strings and the common numbers rather than one
unit's values. A shipped dictionary must never change: write a new number and make it ``CURRENT``.

    .venv/bin/python scripts/train_unit_data_dictionary.py 2   # writes dictionaries/unit-data-2.zdict
"""

import argparse
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import django

SIZE = 16 * 1024  # bytes; 64 KiB compresses ~4 % better, 4 KiB ~7 % worse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("number", type=int, help="the dictionary's number (1-255)")
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--clusters", type=int, default=3)
    parser.add_argument("--every", type=int, default=20, help="take one document in this many")
    args = parser.parse_args()
    if not 1 <= args.number <= 255:
        sys.exit("the number must lie in 1-255")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "apis.settings")
    django.setup()
    import zstandard

    from apis.demo.history.simulation import simulate_cluster
    from apis.demo.history.spec import COMMUNITY, HistorySpec
    from apis.ingest.parse import parse_unit_data
    from apis.unit_data import documents

    spec = HistorySpec(end=datetime(2026, 11, 30, tzinfo=UTC), days=args.days, clusters=args.clusters)
    samples = []
    for cluster in spec.cluster_codes():
        for unit_docs, _ in simulate_cluster(spec, cluster):
            records = parse_unit_data(unit_docs, COMMUNITY[0], cluster)
            samples += [documents.document_text(record.data) for record in records]
    trained = zstandard.train_dictionary(SIZE, samples[:: args.every], level=documents.LEVEL)
    target = Path(documents.__file__).with_name("dictionaries") / f"unit-data-{args.number}.zdict"
    if target.exists():
        sys.exit(f"{target} exists: a shipped dictionary never changes")
    target.write_bytes(trained.as_bytes())
    used = len(samples[:: args.every])
    print(f"{target}: {len(trained.as_bytes())} bytes from {used} of {len(samples)} documents")


if __name__ == "__main__":
    main()
