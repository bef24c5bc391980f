"""The host-wide lock of the fork's private daemons, as tools/lib/hostlock.sh
takes it from bash (see there why): held for a whole run, it says who holds
it, and the processes started while it is held see FORK_HOST_LOCK."""
import fcntl
import os
import time

PATH = os.environ.get("FORK_HOST_LOCK_FILE", "/run/lock/libvirt-fork.lock")
TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def holder():
    try:
        with open(PATH) as f:
            return f.read().strip() or "?"
    except OSError:
        return "?"


def take(what, say=print):
    """Take the lock for the life of this process (waiting with a message if
    another user holds it); returns its fd, or None when a parent holds it.
    The fd is not inherited by children (Python's default)."""
    if os.environ.get("FORK_HOST_LOCK") == PATH:
        return None
    os.makedirs(os.path.dirname(PATH), exist_ok=True)
    fd = os.open(PATH, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        say("%s: waiting for the host-wide lock %s, held by %s" % (what, PATH, holder()))
        t0 = time.time()
        fcntl.flock(fd, fcntl.LOCK_EX)
        say("%s: got the lock after %.0f s" % (what, time.time() - t0))
    os.ftruncate(fd, 0)
    os.write(fd, ("%s (pid %d) in %s since %s\n"
                  % (what, os.getpid(), TOP, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))).encode())
    os.environ["FORK_HOST_LOCK"] = PATH
    return fd
