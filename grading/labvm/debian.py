"""Debian packages fetched with `apt-get download` and unpacked, never
installed: what grading/labvm/build (the lab machine) and guests/linux/build
(lab 04's Linux guest) both build from. Both take the kernel that
linux-image-amd64 depends on and busybox-static's busybox, at the versions
apt would fetch now, so the Linux guest runs the lab machine's kernel.
"""

import glob
import os
import shutil
import struct
import subprocess

KERNEL_META = "linux-image-amd64"
BUSYBOX = "busybox-static"


class BuildError(Exception):
    pass


def need_tool(name, package):
    if not shutil.which(name):
        raise BuildError("%s not found: install the Debian package %s" %
                         (name, package))


def run(argv, cwd=None):
    p = subprocess.run(argv, cwd=cwd, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    if p.returncode:
        err = p.stderr.decode(errors="replace").strip().splitlines()
        raise BuildError("%s failed: %s" % (
            " ".join(argv[:3]), err[-1] if err else "exit %d" % p.returncode))
    return p.stdout.decode(errors="replace")


def apt_show(packages):
    """Package name -> its fields (Version, Depends, ...) as apt would fetch
    it now; a package apt does not know is left out."""
    p = subprocess.run(["apt-cache", "show", "--no-all-versions"] +
                       list(packages), stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL)
    fields = {}
    for stanza in p.stdout.decode(errors="replace").split("\n\n"):
        info = dict(line.split(": ", 1) for line in stanza.splitlines()
                    if ": " in line and not line.startswith(" "))
        if "Package" in info:
            fields.setdefault(info["Package"], info)
    return fields


def apt_versions():
    """(kernel package, its version, busybox-static version) that apt would
    fetch now; None for what apt does not know."""
    p = subprocess.run(["apt-cache", "show", "--no-all-versions", KERNEL_META,
                        BUSYBOX], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL)
    fields = {}
    for stanza in p.stdout.decode(errors="replace").split("\n\n"):
        info = dict(line.split(": ", 1) for line in stanza.splitlines()
                    if ": " in line and not line.startswith(" "))
        if "Package" in info:
            fields[info["Package"]] = info
    kpkg = kver = None
    for dep in fields.get(KERNEL_META, {}).get("Depends", "").split(","):
        # "linux-image-6.1.0-56-amd64 (= 6.1.192-2)"
        words = dep.replace("(", " ").replace(")", " ").split()
        if len(words) == 3 and words[0].startswith("linux-image-") and \
                words[1] == "=":
            kpkg, kver = words[0], words[2]
    return kpkg, kver, fields.get(BUSYBOX, {}).get("Version")


def download(package, version, where):
    argv = ["apt-get", "download", "-q", "%s=%s" % (package, version)]
    if os.geteuid() == 0:
        # As root apt hands the download to user _apt, who may not be able
        # to write here; fetching as root is what a non-root user does too.
        argv[1:1] = ["-o", "APT::Sandbox::User=root"]
    try:
        run(argv, cwd=where)
    except BuildError as e:
        raise BuildError("apt-get download %s=%s: %s" % (
            package, version, str(e).partition("failed: ")[2]))
    debs = glob.glob(os.path.join(where, package + "_*.deb"))
    if len(debs) != 1:
        raise BuildError("apt-get download %s left no .deb" % package)
    return debs[0]

def download_all(versions, where):
    """Fetch each package at its version into where, in one apt-get run;
    returns package -> its .deb."""
    wanted = ["%s=%s" % pv for pv in sorted(versions.items())]
    argv = ["apt-get", "download", "-q"] + wanted
    if os.geteuid() == 0:
        argv[1:1] = ["-o", "APT::Sandbox::User=root"]   # as in download()
    try:
        run(argv, cwd=where)
    except BuildError as e:
        raise BuildError("apt-get download %s: %s" % (
            " ".join(wanted) if len(wanted) < 4 else "(%d packages)" %
            len(wanted), str(e).partition("failed: ")[2]))
    debs = {}
    for package in versions:
        found = glob.glob(os.path.join(where, package + "_*.deb"))
        if len(found) != 1:
            raise BuildError("apt-get download %s left no .deb" % package)
        debs[package] = found[0]
    return debs


def unpack(package, version, tmp, who):
    """Download a package into tmp and unpack it there: (deb, tree)."""
    print("%s: fetching %s %s" % (who, package, version))
    deb = download(package, version, tmp)
    tree = os.path.join(tmp, package)
    run(["dpkg-deb", "-x", deb, tree])
    return deb, tree


def kernel_image(tree, package):
    """The path of the one boot/vmlinuz-* (a bzImage) in a kernel's tree."""
    images = glob.glob(os.path.join(tree, "boot", "vmlinuz-*"))
    if len(images) != 1:
        raise BuildError("%s holds no single boot/vmlinuz-*" % package)
    return images[0]


def is_static_elf(data):
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    return all(struct.unpack_from("<I", data, phoff + i * phentsize)[0] != 3
               for i in range(phnum))   # no PT_INTERP


def fetch_busybox(out, version, tmp, who):
    """busybox-static's busybox into out/busybox and the list of its
    applets into out/busybox.applets."""
    deb, tree = unpack(BUSYBOX, version, tmp, who)
    for cand in ("bin/busybox", "usr/bin/busybox"):
        path = os.path.join(tree, cand)
        if os.path.isfile(path):
            break
    else:
        raise BuildError("%s holds no bin/busybox" % BUSYBOX)
    with open(path, "rb") as f:
        if not is_static_elf(f.read()):
            raise BuildError("%s's busybox is not statically linked" % BUSYBOX)
    applets = run([path, "--list-full"]).split()
    if "bin/sh" not in applets:
        raise BuildError("%s's busybox has no sh" % BUSYBOX)
    shutil.copy(path, os.path.join(out, "busybox"))
    with open(os.path.join(out, "busybox.applets"), "w") as f:
        f.write("\n".join(applets) + "\n")
    shutil.rmtree(tree)
    os.unlink(deb)
