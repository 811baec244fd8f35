"""Daily match digests (filled in by the directory and matching issue)."""


def digests_send(*, force: bool = False) -> int:
    return 0
