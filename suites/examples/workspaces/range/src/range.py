"""Integer ranges that include both ends."""


def inclusive_range(start, stop, step=1):
    """Every number from start to stop, both included, counting by step (which may be
    negative, but not zero)."""
    if step == 0:
        raise ValueError("step must not be zero")
    return list(range(start, stop, step))
