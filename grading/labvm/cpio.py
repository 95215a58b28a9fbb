"""A writer for cpio archives in the "newc" format, the one Linux unpacks
into its initramfs (the kernel's Documentation/driver-api/early-userspace).

grading/labvm/build packs the lab machine's base archive with it and
grading/runners/qemu.py packs, per boot, a second archive with the jobs and
the repository files they name; the kernel unpacks the two one after the
other. Writing the format ourselves keeps both free of the cpio tool and of
root: device nodes are just header fields.
"""

import stat

TRAILER = "TRAILER!!!"


def _pad4(n):
    return (4 - n % 4) % 4


class Archive:
    """Entries are added in order; parents must be added before children."""

    def __init__(self, first_inode=1):
        self._parts = []
        self._ino = first_inode
        self._dirs = set()

    def _entry(self, name, mode, data=b"", rdev=(0, 0)):
        name = name.strip("/")
        encoded = name.encode() + b"\0"
        fields = (self._ino, mode, 0, 0, 1, 0, len(data), 0, 0,
                  rdev[0], rdev[1], len(encoded), 0)
        self._ino += 1
        header = "070701" + "".join("%08X" % f for f in fields)
        self._parts.append(header.encode() + encoded +
                           b"\0" * _pad4(110 + len(encoded)))
        self._parts.append(data + b"\0" * _pad4(len(data)))

    def dir(self, name, mode=0o755):
        """Add a folder and any missing parents (added once per archive)."""
        path = ""
        for part in name.strip("/").split("/"):
            path = path + "/" + part if path else part
            if path not in self._dirs:
                self._dirs.add(path)
                self._entry(path, stat.S_IFDIR | mode)

    def file(self, name, data, mode=0o644):
        parent = name.strip("/").rpartition("/")[0]
        if parent:
            self.dir(parent)
        self._entry(name, stat.S_IFREG | mode, data)

    def symlink(self, name, target):
        parent = name.strip("/").rpartition("/")[0]
        if parent:
            self.dir(parent)
        self._entry(name, stat.S_IFLNK | 0o777, target.encode())

    def chardev(self, name, major, minor, mode=0o600):
        self._entry(name, stat.S_IFCHR | mode, rdev=(major, minor))

    def bytes(self):
        """The archive, trailer included."""
        self._entry(TRAILER, 0)
        return b"".join(self._parts)
