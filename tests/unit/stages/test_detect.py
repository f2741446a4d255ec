from __future__ import annotations

import pytest
from avro_ingest.files import FileEntry
from avro_ingest.stages.detect import Readiness, detect, is_candidate_name, look_for_work

NOW = 1_800_000_000_000


def entry(path: str, size: int = 100, age_s: float = 120) -> FileEntry:
    return FileEntry(path, size, int(NOW - age_s * 1000))


@pytest.mark.parametrize(
    ("name", "taken"),
    [
        ("part-0001.avro", True),
        (".part-0001.avro", False),
        ("_part-0001.avro", False),
        ("part-0001.avro._COPYING_", False),
        ("part-0001.avro.tmp", False),
        ("part-0001.avsc", False),
        ("_SUCCESS", False),
        ("notes.txt", False),
    ],
)
def test_which_names_are_candidates(name: str, taken: bool) -> None:
    assert is_candidate_name(name) is taken


def test_quiet_period_empty_files_and_sidecars() -> None:
    found = detect(
        [
            entry("/l/old.avro"),
            entry("/l/old.avsc"),
            entry("/l/fresh.avro", age_s=5),
            entry("/l/empty.avro", size=0),
            entry("/l/copying.avro._COPYING_"),
        ],
        now_ms=NOW,
        quiet_period_seconds=60,
    )
    assert [e.path for e in found.ready] == ["/l/old.avro"]
    assert [e.path for e in found.waiting] == ["/l/fresh.avro"]
    assert [e.path for e in found.empty] == ["/l/empty.avro"]
    assert found.sidecars["/l/old.avro"].path == "/l/old.avsc"


def test_a_fresh_sidecar_holds_its_file_back() -> None:
    found = detect(
        [entry("/l/a.avro"), entry("/l/a.avsc", age_s=1)], now_ms=NOW, quiet_period_seconds=60
    )
    assert not found.ready and [e.path for e in found.waiting] == ["/l/a.avro"]


def test_success_marker_mode_takes_only_marked_folders_whatever_their_age() -> None:
    found = detect(
        [
            entry("/l/day1/a.avro", age_s=1),
            entry("/l/day1/_SUCCESS"),
            entry("/l/day2/b.avro", age_s=9999),
        ],
        now_ms=NOW,
        quiet_period_seconds=60,
        require_success_marker=True,
    )
    assert [e.path for e in found.ready] == ["/l/day1/a.avro"]
    assert [e.path for e in found.waiting] == ["/l/day2/b.avro"]


class Listing:
    def __init__(self, files: list[FileEntry], staged: list[str]) -> None:
        self.files = files
        self.staged = staged

    def list_files(self, folder: str, *, recursive: bool = False) -> list[FileEntry]:
        return [f for f in self.files if f.path.startswith(folder + "/")]

    def list_folders(self, folder: str) -> list[str]:
        return [s for s in self.staged if s.startswith(folder + "/")]


def look(listing: Listing) -> Readiness:
    return look_for_work(
        listing,
        ["/l"],
        now_ms=NOW,
        quiet_period_seconds=60,
        require_success_marker=False,
        recursive=True,
    )


def test_a_look_counts_batches_left_in_staging_and_files_not_yet_complete() -> None:
    readiness = look(Listing([entry("/l/a.avro"), entry("/l/b.avro", age_s=1)], ["/l/_staging/b1"]))
    assert (readiness.ready, readiness.unfinished_batches, readiness.not_complete) == (1, 1, 1)
    assert readiness.found == 2
    assert readiness.explain() == "1 complete file(s) and 1 unfinished batch(es) in /l"


def test_a_look_that_finds_nothing_says_why() -> None:
    assert look(Listing([], [])).explain() == "no .avro file in /l"
    waiting = look(Listing([entry("/l/b.avro", age_s=1)], []))
    assert waiting.found == 0
    assert waiting.explain().startswith("no complete .avro file in /l: 1 file(s) are still")
