"""The differential harness's comparison (grading/differential.py)."""

import configparser
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))
from differential import first_difference, guest_lab  # noqa: E402


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


if __name__ == "__main__":
    unittest.main()
