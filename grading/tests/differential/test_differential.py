"""The differential harness's comparison (grading/differential.py)."""

import configparser
import os
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))
from differential import Serial, first_difference, guest_lab, popen  # noqa: E402


class FirstDifference(unittest.TestCase):
    def test_equal(self):
        self.assertEqual(first_difference(b"a\nb\n", b"a\nb\n"), "")

    def test_changed_line(self):
        self.assertEqual(first_difference(b"a\nb\nc\n", b"a\nB\nc\n"),
                         "line 2: qemu 'b', vmm 'B'")

    def test_missing_and_extra_lines(self):
        self.assertEqual(first_difference(b"a\nb", b"a"),
                         "line 2: qemu 'b', vmm (no line)")
        self.assertEqual(first_difference(b"a", b"a\nb"),
                         "line 2: qemu (no line), vmm 'b'")

    def test_missing_final_newline(self):
        self.assertEqual(first_difference(b"a\n", b"a"),
                         "line 2: qemu '', vmm (no line)")


class GuestLab(unittest.TestCase):
    """A guest is compared only from the lab that provides what it needs."""

    def test_default_and_given(self):
        cp = configparser.ConfigParser(inline_comment_prefixes=(";",))
        cp.read_string("[a]\nguest = a.elf\n[b]\nguest = b.elf\nlab = 3 ; interrupts\n")
        self.assertEqual(guest_lab(cp["a"]), 1)
        self.assertEqual(guest_lab(cp["b"]), 3)


# A stand-in for a guest on COM1: a ready line, then each input line back
# upper-cased until "quit", as guests/uart-echo does.
ECHO = r"""
import sys
out = sys.stdout.buffer
out.write(b"ready\n"); out.flush()
for line in sys.stdin.buffer:
    out.write(line.upper()); out.flush()
    if line == b"quit\n":
        break
"""


class SerialInput(unittest.TestCase):
    """transcript = serial, input = FILE: the input goes in after the
    first line, and the whole output is the transcript."""

    def run_echo(self, text):
        with tempfile.TemporaryDirectory() as root:
            os.mkdir(os.path.join(root, "guests"))
            with open(os.path.join(root, "guests", "in.txt"), "wb") as f:
                f.write(text)
            serial = Serial({"transcript": "serial", "input": "in.txt"}, root)
            p = popen([sys.executable, "-c", ECHO], serial)
            out = serial.talk(p, time.time() + 30)
            p.wait(timeout=30)
            return out

    def test_fed_after_the_first_line(self):
        self.assertEqual(self.run_echo(b"abc\nquit\n"), b"ready\nABC\nQUIT\n")

    def test_no_transcript_on_serial_without_the_key(self):
        serial = Serial({}, "")
        self.assertFalse(serial.on)
        p = popen([sys.executable, "-c", "print('x')"], serial)
        self.assertIsNone(p.stdout)
        p.wait(timeout=30)


if __name__ == "__main__":
    unittest.main()
