"""Tests of the lab machine's parts that need no boot: the cpio writer
(checked against GNU cpio), the batch packing of grading/runners/qemu.py,
its parsing of module options and of result records, and its staleness
check. Run: python3 -m unittest discover -s grading/tests/labvm
"""

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "grading"))
sys.path.insert(0, str(ROOT / "grading" / "labvm"))

import cpio                                     # noqa: E402
from runners import qemu                        # noqa: E402
from runners.job import Job                     # noqa: E402


def cpio_listing(data):
    """`cpio -itv` of an archive: GNU cpio is the independent reader."""
    p = subprocess.run(["cpio", "-itv", "--quiet"], input=data,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       check=True)
    return p.stdout.decode()


def cpio_extract(data, where):
    subprocess.run(["cpio", "-idm", "--quiet", "--no-absolute-filenames"],
                   input=data, cwd=where, check=True,
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@unittest.skipUnless(shutil.which("cpio"), "GNU cpio is not installed")
class CpioWriter(unittest.TestCase):
    def test_gnu_cpio_reads_what_we_write(self):
        a = cpio.Archive()
        a.file("a/b/c.txt", b"hello\n")           # parents made implicitly
        a.file("a/odd", b"x" * 5, 0o755)          # length not a multiple of 4
        a.file("empty", b"")
        a.symlink("a/link", "/b/target")
        a.chardev("dev/console", 5, 1)
        data = a.bytes()
        listing = cpio_listing(data).splitlines()
        names = [line.split()[-1] if "->" not in line
                 else line.split()[-3] for line in listing]
        self.assertEqual(names, ["a", "a/b", "a/b/c.txt", "a/odd", "empty",
                                 "a/link", "dev/console"])
        self.assertTrue(listing[3].startswith("-rwxr-xr-x"))
        self.assertTrue(listing[5].startswith("lrwxrwxrwx"))
        self.assertTrue(listing[5].endswith("a/link -> /b/target"))
        # A character device, major 5, minor 1 (ls-style "5, 1").
        self.assertTrue(listing[6].startswith("crw-------"))
        self.assertRegex(listing[6], r"\b5,\s+1\b")
        with tempfile.TemporaryDirectory() as d:
            a = cpio.Archive()
            a.file("x/y", bytes(range(256)) * 3)
            cpio_extract(a.bytes(), d)
            self.assertEqual(Path(d, "x", "y").read_bytes(),
                             bytes(range(256)) * 3)

    def test_two_archives_back_to_back(self):
        # The runner appends a second archive to the base one, as the
        # kernel's initramfs unpacker allows.
        a, b = cpio.Archive(), cpio.Archive(first_inode=1 << 24)
        a.file("one", b"1")
        b.file("two", b"22")
        with tempfile.TemporaryDirectory() as d:
            cpio_extract(a.bytes(), d)
            cpio_extract(b.bytes(), d)
            self.assertEqual(Path(d, "one").read_bytes(), b"1")
            self.assertEqual(Path(d, "two").read_bytes(), b"22")


class ModuleOptions(unittest.TestCase):
    def test_parse(self):
        self.assertEqual(qemu.parse_module_options(""), [])
        self.assertEqual(qemu.parse_module_options("kvm_amd npt=0"),
                         [("kvm_amd", ["npt=0"])])
        self.assertEqual(
            qemu.parse_module_options("kvm-amd npt=0 avic ; kvm halt_poll_ns=0"),
            [("kvm_amd", ["npt=0", "avic"]), ("kvm", ["halt_poll_ns=0"])])

    def test_bad(self):
        for text in ("kvm_amd npt=0; $(reboot)", "kvm/amd npt=0",
                     "kvm_amd npt=`x`", "kvm_amd npt=0 |", "kvm_amd npt=*"):
            with self.assertRaises(ValueError, msg=text):
                qemu.parse_module_options(text)

    def test_bad_options_fail_their_jobs_only(self):
        # Refused before any boot: no lab machine is needed for this.
        jobs = [Job("guest.x", ["true"], 5, module_options="kvm_amd `x`")]
        r = qemu.run_jobs(jobs, ROOT)[0]
        self.assertIsNone(r.status)
        self.assertIn("bad module", r.reason)


class Records(unittest.TestCase):
    def fields(self, out=b"o\x00\xff", err=b""):
        return {"status": "exit 3", "seconds": "0.250", "reason": "",
                "stdout": "%d %s" % (len(out), base64.b64encode(out).decode()),
                "stderr": "%d %s" % (len(err), base64.b64encode(err).decode())}

    def test_good(self):
        r = qemu._decode_record("guest.a", self.fields())
        self.assertEqual((r.name, r.status, r.signal, r.stdout, r.stderr,
                          r.reason, r.seconds),
                         ("guest.a", 3, None, b"o\x00\xff", b"", "", 0.25))
        # How long the machine stood still at worst: 0 from a record
        # without the line.
        self.assertEqual(r.stall, 0.0)
        f = self.fields()
        f["stall"] = "3250"
        self.assertEqual(qemu._decode_record("guest.a", f).stall, 3.25)
        f = self.fields()
        f["status"] = "signal 9"
        f["reason"] = "timed out after 2s"
        r = qemu._decode_record("guest.a", f)
        self.assertEqual((r.status, r.signal, r.reason),
                         (None, 9, "timed out after 2s"))

    def test_garbled(self):
        f = self.fields()
        f["stdout"] = "5 " + base64.b64encode(b"four").decode()
        self.assertIn("garbled", qemu._decode_record("guest.a", f))
        f = self.fields()
        f["stdout"] = "3 b!!="
        self.assertIn("garbled", qemu._decode_record("guest.a", f))
        f = self.fields()
        del f["stderr"]
        self.assertIn("garbled", qemu._decode_record("guest.a", f))


class Packing(unittest.TestCase):
    def test_files_named_by_arguments_and_their_libraries(self):
        with tempfile.TemporaryDirectory() as d:
            root = Path(d)
            shutil.copytree(ROOT / "grading" / "labvm", root / "grading" / "labvm")
            (root / "guests" / "out").mkdir(parents=True)
            (root / "guests" / "out" / "g.bin").write_bytes(b"\xf4")
            (root / "disk.img").write_bytes(b"d")
            (root / "guests" / "out" / "link.bin").symlink_to("g.bin")
            (root / "outside").symlink_to("/etc/hostname")
            prog = root / "labs" / "x" / "build" / "vmm"
            prog.parent.mkdir(parents=True)
            shutil.copy(shutil.which("true"), prog)     # a dynamic program
            batch = qemu._Batch(root, "kvm_amd npt=0")
            batch.add(Job("guest.g", ["labs/x/build/vmm", "--disk=disk.img",
                                      str(root / "guests/out/g.bin"),
                                      "--mem", "16M", "guests/out/link.bin",
                                      "outside", "--x=" + "y" * 5000], 7.5,
                          env={"A": "b c"}))
            data = batch.cpio.bytes()
            with tempfile.TemporaryDirectory() as out:
                cpio_extract(data, out)
                out = Path(out)
                self.assertEqual((out / "jobs/1/argv").read_bytes(),
                                 b"labs/x/build/vmm\0--disk=disk.img\0"
                                 b"/repo/guests/out/g.bin\0--mem\x0016M\0"
                                 b"guests/out/link.bin\0outside\0--x=" +
                                 b"y" * 5000 + b"\0")
                self.assertIn(b"A=b c\0", (out / "jobs/1/env").read_bytes())
                self.assertEqual((out / "jobs/1/limits").read_bytes(),
                                 b"7500 262144\n")
                self.assertEqual((out / "jobs/modopts").read_text(),
                                 "kvm_amd npt=0\n")
                self.assertEqual((out / "repo/disk.img").read_bytes(), b"d")
                self.assertEqual((out / "repo/guests/out/g.bin").read_bytes(),
                                 b"\xf4")
                self.assertEqual(
                    (out / "repo/guests/out/link.bin").read_bytes(), b"\xf4")
                # A link out of the repository is not followed.
                self.assertFalse((out / "repo/outside").exists())
                self.assertTrue(os.access(out / "repo/labs/x/build/vmm",
                                          os.X_OK))
                # The loader named in the program's PT_INTERP, and libc.
                interp = qemu._elf_interp(prog.read_bytes())
                self.assertTrue((out / interp.lstrip("/")).is_file())
                self.assertTrue(list(out.glob("**/libc.so.6")))

    @unittest.skipUnless(shutil.which(qemu.QEMU), "QEMU is not installed")
    def test_stale_build_is_not_available(self):
        with tempfile.TemporaryDirectory() as d:
            root = Path(d)
            src = root / "grading" / "labvm"
            shutil.copytree(ROOT / "grading" / "labvm", src)
            vm = root / "build" / "labvm"
            (vm / "kernel").mkdir(parents=True)
            (vm / "kernel" / "vmlinux").write_bytes(b"")
            (vm / "base.cpio").write_bytes(b"")
            self.assertEqual(qemu.available(root),
                             (False, "the lab machine was built from another "
                              "grading/labvm/init: run `make labvm`"))
            sources = {name: hashlib.sha256((src / name).read_bytes())
                       .hexdigest()[:16]
                       for name in ("init", "jobrun.c", "cpio.py")}
            (vm / "stamp.json").write_text(json.dumps({"sources": sources}))
            self.assertEqual(qemu.status(root),
                             ("build", "the lab machine was built without QEMU "
                              "inside: run `make labvm`"))
            (vm / "stamp.json").write_text(json.dumps(
                {"sources": sources, "qemu": "qemu-system-x86 1:7.2"}))
            self.assertTrue(qemu.available(root)[0])
            self.assertEqual(qemu.status(root)[0], "ready")
            with open(src / "jobrun.c", "a") as f:
                f.write("/* changed */\n")
            self.assertEqual(qemu.available(root),
                             (False, "the lab machine was built from another "
                              "grading/labvm/jobrun.c: run `make labvm`"))
            (vm / "base.cpio").unlink()
            self.assertEqual(qemu.available(root), (
                False, "the lab machine is not built: run `make labvm`"))
            self.assertEqual(qemu.status(root)[0], "build")

    def test_files_and_folders_a_job_asks_for(self):
        with tempfile.TemporaryDirectory() as d:
            root = Path(d)
            shutil.copytree(ROOT / "grading" / "labvm", root / "grading" / "labvm")
            bench = root / "labs" / "x" / "bench"
            (bench / "sub").mkdir(parents=True)
            (bench / "run.sh").write_text("#!/bin/sh\n")
            (bench / "run.sh").chmod(0o755)
            (bench / "sub" / "data").write_bytes(b"12")
            (root / "guests").mkdir()
            (root / "guests" / "bench.h").write_text("#define N 3\n")
            batch = qemu._Batch(root, "")
            batch.add(Job("bench", ["sh", "labs/x/bench/run.sh"], 10,
                          files=["labs/x/bench", "guests/bench.h"]))
            with tempfile.TemporaryDirectory() as out:
                cpio_extract(batch.cpio.bytes(), out)
                out = Path(out)
                self.assertTrue(os.access(out / "repo/labs/x/bench/run.sh", os.X_OK))
                self.assertEqual((out / "repo/labs/x/bench/sub/data").read_bytes(), b"12")
                self.assertEqual((out / "repo/guests/bench.h").read_text(),
                                 "#define N 3\n")
            for bad in ("../outside", "nowhere"):
                with self.assertRaises(OSError):
                    qemu._Batch(root, "").add(Job("x", ["true"], 1, files=[bad]))


class Logs(unittest.TestCase):
    def test_one_folder_per_run_newest_kept(self):
        with tempfile.TemporaryDirectory() as d:
            root = Path(d)
            made = []
            for i in range(qemu.KEEP_RUNS + 3):
                path = qemu._run_log_dir(root)
                (path / "boot1.console").write_text("run %d\n" % i)
                # The order of runs is that of their folders' times.
                os.utime(path / "boot1.console", (1000 + i, 1000 + i))
                os.utime(path, (1000 + i, 1000 + i))
                made.append(path)
                if i == 0:
                    # A run still writing (another grader's, beside this
                    # one): its log changed just now.
                    busy = qemu._run_log_dir(root)
                    (busy / "boot1.console").write_text("booting\n")
                    os.utime(busy, (999, 999))
            self.assertEqual(len(set(made)), len(made))
            self.assertTrue(all(p.parent == root / "build/labvm/log" for p in made))
            left = sorted((root / "build/labvm/log").iterdir())
            # The newest KEEP_RUNS - 1 from before, and the last one made
            # (which the next run would keep as well).
            self.assertEqual(set(left), set(made[-qemu.KEEP_RUNS:]) | {busy})
            self.assertEqual((made[-1] / "boot1.console").read_text(),
                             "run %d\n" % (len(made) - 1))


if __name__ == "__main__":
    unittest.main()
