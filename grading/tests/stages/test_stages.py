"""Tests of grading/stages.py on a throwaway repository of four stages.

source/stages.ini lists labs/01-a, labs/02-b, labs/03-c and final/; the
files of source/vmm/ use every marker form of grading/README.md ("The
stages and their one source"). The expected stages are written out here
from those rules, piece by piece, never taken from the tool's output. Each
test then drifts or breaks one thing and checks what write, check and diff
say about it.

Run: python3 -m unittest discover -s grading/tests/stages
"""

import os
import shutil
import stat
import subprocess
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL = os.path.join(os.path.dirname(os.path.dirname(HERE)), "stages.py")

STAGES_INI = """\
; the fixture's stages
[stages]
01 = labs/01-a
02 = labs/02-b
03 = labs/03-c
final = final
"""

# A C file with a chain of versions, nesting, a range, both C comment
# forms, an exercise region and a final-only region.
HEAD = "/* a.c - the fixture's one C file. */\nint a(void)\n{\n"
EXERCISE = ("\t/* EXERCISE 1.a: Return the stage's number.\n"
            "\t *\n\t * Tests: unit.a\n\t * Stub: return 0;\n\t */\n")
END_EXERCISE = "\t/* END EXERCISE 1.a */\n}\n"
A_C = (HEAD + EXERCISE +
       "/* @@ ..01 */\n\treturn 1;\n"
       "/* @@ else 02 */\n\treturn 2;\n"
       "/* @@ else 03 */\n\treturn 3;\n"
       "/* @@ end */\n" + END_EXERCISE +
       "/* @@ 02 */\n"
       "\nint b(void)\n{\n\tint x = 2;\n"
       "\t/* @@ 03 */\n"
       "\tx += 1;\n"
       "\t// @@ ..03\n"
       "\tx += 30;\n"
       "\t// @@ end\n"
       "\t/* @@ end */\n"
       "\treturn x;\n}\n"
       "/* @@ end */\n"
       "/* @@ 01..02 */\n/* gone in lab 03 */\n/* @@ end */\n"
       "/* @@ final */\nint fin(void);\n/* @@ end */\n")
B_FUNC = "\nint b(void)\n{\n\tint x = 2;\n"
B_END = "\treturn x;\n}\n"
A_OUT = {
    "01": HEAD + EXERCISE + "\treturn 1;\n" + END_EXERCISE +
    "/* gone in lab 03 */\n",
    "02": HEAD + EXERCISE + "\treturn 2;\n" + END_EXERCISE +
    B_FUNC + B_END + "/* gone in lab 03 */\n",
    "03": HEAD + EXERCISE + "\treturn 3;\n" + END_EXERCISE +
    B_FUNC + "\tx += 1;\n\tx += 30;\n" + B_END,
    "final": HEAD + EXERCISE + "\treturn 3;\n" + END_EXERCISE +
    B_FUNC + "\tx += 1;\n" + B_END + "int fin(void);\n",
}

MAKEFILE = ("# @@ ..01\n# Lab 01's Makefile.\n# @@ else\n"
            "# The Makefile of lab 02 and after.\n# @@ end\n"
            "all:\n\tcc -c src/a.c\n# @@ 03\n\tcc -c src/new.c\n# @@ end\n")
MAKE_OUT = {
    "01": "# Lab 01's Makefile.\nall:\n\tcc -c src/a.c\n",
    "02": "# The Makefile of lab 02 and after.\nall:\n\tcc -c src/a.c\n",
    "03": "# The Makefile of lab 02 and after.\nall:\n\tcc -c src/a.c\n"
          "\tcc -c src/new.c\n",
}
MAKE_OUT["final"] = MAKE_OUT["03"]

RUN_SH = "#!/bin/sh\n# @@ file 02\necho bench\n# @@ 03\necho three\n# @@ end\n"
RUN_OUT = {"02": "#!/bin/sh\necho bench\n",
           "03": "#!/bin/sh\necho bench\necho three\n",
           "final": "#!/bin/sh\necho bench\necho three\n"}

NEW_C = "/* @@ file 03 */\nint n(void);\n"
BOOT_ASM = "; boot.asm\n; @@ 02\n\tmov ax, 2\n; @@ end\n\thlt\n"
NOTES_MD = "# Notes\n<!-- @@ ..01 -->\nLab 01 only.\n<!-- @@ end -->\nAlways.\n"
BINARY = b"\x7fELF\x00\x01@@ 02\x00"

GRADE_INI = """\
; The fixture's tests.
# @@ ..01
; Lab 01's tests.
# @@ else
; The tests of lab 02 and after.
# @@ end

[lab]
# @@ ..01
number = 1
# @@ else 02
number = 2
# @@ else 03
number = 3
# @@ else final
title = everything
# @@ end
unit = build/unit-tests

[unit.a]
lab = 1
points = 1

; ---- lab 02 ----

[unit.b]
lab = 2
; a comment between keys stays in its section
points = 2

[unit.a2]
lab = 1
points = 1

; ---- lab 03 ----
[unit.c]
lab = 3   ; where it starts
points = 3
"""
UNIT_A = "\n[unit.a]\nlab = 1\npoints = 1\n"
UNIT_B = ("\n; ---- lab 02 ----\n\n[unit.b]\nlab = 2\n"
          "; a comment between keys stays in its section\npoints = 2\n")
UNIT_A2 = "\n[unit.a2]\nlab = 1\npoints = 1\n"
UNIT_C = "\n; ---- lab 03 ----\n[unit.c]\nlab = 3   ; where it starts\npoints = 3\n"
LAB_TAIL = "unit = build/unit-tests\n"
LATER = "; The fixture's tests.\n; The tests of lab 02 and after.\n\n[lab]\n"
GRADE_OUT = {
    "01": "; The fixture's tests.\n; Lab 01's tests.\n\n[lab]\nnumber = 1\n"
          + LAB_TAIL + UNIT_A + UNIT_A2,
    "02": LATER + "number = 2\n" + LAB_TAIL + UNIT_A + UNIT_B + UNIT_A2,
    "03": LATER + "number = 3\n" + LAB_TAIL + UNIT_A + UNIT_B + UNIT_A2
          + UNIT_C,
    "final": LATER + "title = everything\n" + LAB_TAIL + UNIT_A + UNIT_B
             + UNIT_A2 + UNIT_C,
}

FOLDERS = {"01": "labs/01-a", "02": "labs/02-b", "03": "labs/03-c",
           "final": "final"}
READMES = {"01": "# Lab 01\n", "02": "# Lab 02\n", "03": "# Lab 03\n",
           "final": "# The whole VMM\n"}


def expected(stage):
    """{path inside the stage: (bytes, executable)} from the rules."""
    out = {
        "Makefile": MAKE_OUT[stage],
        "src/a.c": A_OUT[stage],
        "src/boot.asm": "; boot.asm\n" + ("" if stage == "01" else
                                          "\tmov ax, 2\n") + "\thlt\n",
        "notes.md": "# Notes\n" + ("Lab 01 only.\n" if stage == "01" else "")
                    + "Always.\n",
        "tests/grade.ini": GRADE_OUT[stage],
        "README.md": READMES[stage],
    }
    out = {k: (v.encode(), False) for k, v in out.items()}
    out["data.bin"] = (BINARY, False)
    if stage != "01":
        out["bench/run.sh"] = (RUN_OUT[stage].encode(), True)
    if stage in ("03", "final"):
        out["src/new.c"] = (b"int n(void);\n", False)
    return out


class StagesCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="stages-test-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.root = os.path.join(self.tmp, "repo")
        self.write("source/stages.ini", STAGES_INI)
        for rel, text in (("Makefile", MAKEFILE), ("src/a.c", A_C),
                          ("src/new.c", NEW_C), ("src/boot.asm", BOOT_ASM),
                          ("notes.md", NOTES_MD), ("tests/grade.ini", GRADE_INI),
                          ("bench/run.sh", RUN_SH)):
            self.write("source/vmm/" + rel, text)
        os.chmod(self.path("source/vmm/bench/run.sh"), 0o755)
        with open(self.path("source/vmm/data.bin"), "wb") as f:
            f.write(BINARY)
        for st, folder in FOLDERS.items():
            self.write("source/stages/%s/README.md" % folder.split("/")[-1],
                       READMES[st])
        self.write(".gitignore", "build/\n*.log\n")
        self.git("init", "-q")

    def git(self, *args):
        subprocess.run(["git", "-C", self.root] + list(args), check=True,
                       capture_output=True)

    def commit(self):
        self.git("add", "-A")
        self.git("-c", "user.name=t", "-c", "user.email=t@t", "commit",
                 "-q", "--allow-empty", "-m", "stages")

    def path(self, rel):
        return os.path.join(self.root, rel)

    def write(self, rel, text):
        os.makedirs(os.path.dirname(self.path(rel)), exist_ok=True)
        with open(self.path(rel), "w") as f:
            f.write(text)

    def read(self, rel):
        with open(self.path(rel)) as f:
            return f.read()

    def tool(self, *args):
        return subprocess.run(["python3", TOOL, "--root", self.root]
                              + list(args), capture_output=True, text=True)

    def written(self):
        r = self.tool("write")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.commit()
        return r

    def stage_files(self, folder):
        out = {}
        top = self.path(folder)
        for d, _, names in os.walk(top):
            for n in names:
                full = os.path.join(d, n)
                rel = os.path.relpath(full, top)
                if rel.startswith("build/") or rel.endswith(".log"):
                    continue
                with open(full, "rb") as f:
                    out[rel] = (f.read(),
                                bool(os.stat(full).st_mode & stat.S_IXUSR))
        return out

    def assertRefused(self, rel, text, where, message):
        """source/vmm/rel holding text makes write and check fail, naming
        where (file:line) and message, and write changes nothing."""
        self.written()
        old = self.read("source/vmm/" + rel)
        self.addCleanup(self.write, "source/vmm/" + rel, old)
        self.write("source/vmm/" + rel, text)
        before = self.stage_files("labs/01-a")
        try:
            self._refused(where, message)
        finally:
            self.write("source/vmm/" + rel, old)
        self.assertEqual(self.stage_files("labs/01-a"), before)

    def _refused(self, where, message):
        for cmd in ("write", "check"):
            r = self.tool(cmd)
            self.assertEqual(r.returncode, 1, cmd + ": " + r.stdout + r.stderr)
            line = [l for l in r.stderr.splitlines() if where in l]
            self.assertTrue(line, "%s: no line naming %s in:\n%s"
                            % (cmd, where, r.stderr))
            self.assertIn(message, line[0])
            # The last line, which make check shows, names the first one.
            self.assertIn("source/vmm/", r.stderr.splitlines()[-1])


class TestGenerate(StagesCase):
    def test_every_stage_as_the_markers_say(self):
        self.written()
        for st, folder in FOLDERS.items():
            with self.subTest(stage=st):
                got = self.stage_files(folder)
                want = expected(st)
                self.assertEqual(sorted(got), sorted(want))
                for rel in want:
                    self.assertEqual(got[rel], want[rel], rel)

    def test_instructor_material_stays_out(self):
        # A lab's model answers and the exercises' wrong solutions are in
        # source/ but in no stage.
        self.write("source/stages/02-b/ANSWERS.md", "1. Because.\n")
        self.write("source/wrong/2.x/slip.c", "/* Wrong 2.x: y\n * Fails: unit.a\n */\n")
        self.written()
        for folder in FOLDERS.values():
            self.assertFalse(os.path.exists(self.path(folder + "/ANSWERS.md")), folder)
            self.assertFalse(os.path.exists(self.path(folder + "/wrong")), folder)
        self.assertEqual(self.tool("check").returncode, 0)
        self.write("source/elsewhere/x.c", "int x;\n")
        self.assertIn("source/elsewhere/x.c: source/ holds stages.ini, vmm/, "
                      "stages/ and wrong/ only", self.tool("check").stderr)

    def test_check_passes_on_what_write_wrote(self):
        self.written()
        r = self.tool("check")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("4 stages are what source generates", r.stdout)

    def test_write_again_changes_nothing(self):
        self.written()
        r = self.tool("write")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.count(" 0 written or removed"), 4, r.stdout)

    def test_a_fix_in_the_source_reaches_every_stage(self):
        self.written()
        self.write("source/vmm/src/a.c",
                   A_C.replace("int a(void)", "int a(void) /* fixed */"))
        self.assertEqual(self.tool("check").returncode, 1)
        self.tool("write")
        for folder in FOLDERS.values():
            self.assertIn("int a(void) /* fixed */",
                          self.read(folder + "/src/a.c"))
        self.assertEqual(self.tool("check").returncode, 0)

    def test_write_removes_stale_files_and_keeps_build_outputs(self):
        self.written()
        self.write("labs/02-b/src/old.c", "stale\n")
        self.write("labs/02-b/build/a.o", "object\n")
        self.write("labs/02-b/run.log", "ignored\n")
        r = self.tool("write")
        self.assertIn("removed labs/02-b/src/old.c", r.stdout)
        self.assertFalse(os.path.exists(self.path("labs/02-b/src/old.c")))
        self.assertTrue(os.path.exists(self.path("labs/02-b/build/a.o")))
        self.assertTrue(os.path.exists(self.path("labs/02-b/run.log")))

    def test_executable_bits(self):
        self.written()
        mode = os.stat(self.path("labs/03-c/bench/run.sh")).st_mode
        self.assertTrue(mode & stat.S_IXUSR)
        self.assertFalse(os.stat(self.path("labs/03-c/src/a.c")).st_mode
                         & stat.S_IXUSR)
        os.chmod(self.path("source/vmm/bench/run.sh"), 0o644)
        r = self.tool("check")
        self.assertEqual(r.returncode, 1)
        self.assertIn("labs/02-b/bench/run.sh: executable bit set, but "
                      "source/vmm/bench/run.sh's is clear", r.stderr)
        self.tool("write")
        self.assertFalse(os.stat(self.path("labs/02-b/bench/run.sh")).st_mode
                         & stat.S_IXUSR)


class TestCheck(StagesCase):
    def test_one_byte_drift(self):
        self.written()
        text = self.read("labs/02-b/src/a.c")
        self.write("labs/02-b/src/a.c", text.replace("return 2;", "return 3;"))
        r = self.tool("check")
        self.assertEqual(r.returncode, 1)
        line = A_OUT["02"].splitlines().index("\treturn 2;") + 1
        want = ("labs/02-b/src/a.c:%d: differs from what source/vmm/src/a.c "
                "generates" % line)
        self.assertIn(want, r.stderr)
        self.assertIn(want, r.stderr.splitlines()[-1])
        self.assertIn("labs/02-b", r.stdout.split("DIFFERS")[0])

    def test_drift_in_a_per_stage_file(self):
        self.written()
        self.write("final/README.md", "# The whole VMM!\n")
        r = self.tool("check")
        self.assertIn("final/README.md:1: differs from what "
                      "source/stages/final/README.md generates", r.stderr)

    def test_missing_and_extra_files(self):
        self.written()
        os.unlink(self.path("labs/03-c/src/new.c"))
        self.write("labs/01-a/src/extra.c", "extra\n")
        r = self.tool("check")
        self.assertEqual(r.returncode, 1)
        self.assertIn("labs/03-c/src/new.c: missing; source/vmm/src/new.c "
                      "generates it", r.stderr)
        self.assertIn("labs/01-a/src/extra.c: not generated", r.stderr)

    def test_ignored_files_and_build_outputs_do_not_count(self):
        self.written()
        self.write("labs/01-a/build/a.o", "object\n")
        self.write("labs/01-a/x.log", "log\n")
        self.assertEqual(self.tool("check").returncode, 0)

    def test_missing_stage_folder_and_unlisted_folder(self):
        self.written()
        shutil.rmtree(self.path("labs/03-c"))
        self.write("labs/04-d/README.md", "# not listed\n")
        r = self.tool("check")
        self.assertIn("labs/03-c: missing (make stages writes it)", r.stderr)
        self.assertIn("labs/04-d: a stage folder that source/stages.ini "
                      "does not list", r.stderr)


class TestMarkers(StagesCase):
    def test_malformed(self):
        cases = [
            ("src/a.c", "int x;\n/* @@ 07 */\nint y;\n/* @@ end */\n", 2,
             "unknown stage 07 (source/stages.ini lists 01, 02, 03, final)"),
            ("src/a.c", "int x;\n/* @@ lab2 */\nint y;\n/* @@ end */\n", 2,
             "'lab2' is not a stage"),
            ("src/a.c", "int x;\n/* @@ 03..02 */\nint y;\n/* @@ end */\n", 2,
             "03..02 is an empty range"),
            ("src/a.c", "int x;\n/* @@ 02 03 */\nint y;\n/* @@ end */\n", 2,
             "expected one stage or range"),
            ("src/a.c", "int x;\n/* @@ */\n", 2, "empty marker"),
            ("src/a.c", "int x;\nint y; /* @@ 02 */\n", 2,
             "a stage marker must be a whole line"),
            ("src/a.c", "int x;\n# @@ 02\nint y;\n# @@ end\n", 2,
             "a marker in this file is written /* @@ ... */ or // @@ ..."),
            ("src/boot.asm", "\thlt\n/* @@ 02 */\n\tnop\n/* @@ end */\n", 2,
             "written ; @@ ..."),
            ("src/a.c", "int x;\n/* @@ file 02 */\n", 2,
             "`@@ file` must be the file's first line"),
            ("src/a.c", "/* @@ file 01 */\nint x;\n", 1,
             "`@@ file` marks nothing"),
            ("src/a.c", "int x;\n/* @@ end */\n", 2,
             "`@@ end` without a region"),
            ("src/a.c", "int x;\n/* @@ else */\n", 2,
             "`@@ else` outside a region"),
            ("src/a.c", "int x;\n/* @@ 02 */\nint y;\n", 2,
             "region never closed"),
            ("src/a.c", "/* @@ 02 */\nint y;\n/* @@ end nonsense */\n", 3,
             "`@@ end` takes nothing after it"),
            ("src/a.c", "int x;\n/* @@ 02 */\na\n/* @@ else */\nb\n"
             "/* @@ else 03 */\nc\n/* @@ end */\n", 6,
             "a branch after the plain `@@ else`"),
            # Reading down, a later branch takes over: `03` never shows.
            ("src/a.c", "int x;\n/* @@ 03 */\na\n/* @@ else 02 */\nb\n"
             "/* @@ end */\n", 2, "`@@ 03` is in no stage"),
            ("src/a.c", "int x;\n/* @@ ..01 */\na\n/* @@ else 02 */\nb\n"
             "/* @@ else */\nc\n/* @@ end */\n", 6, "`@@ else` is in no stage"),
            # Nested regions live inside their parent's stages.
            ("src/a.c", "int x;\n/* @@ 02 */\na\n/* @@ ..01 */\nb\n"
             "/* @@ end */\n/* @@ end */\n", 4, "`@@ ..01` is in no stage "
             "(inside stages 02 03 final)"),
            ("src/a.c", "int x;\n/* @@ 02 */\na\n/* @@ 02 */\nb\n"
             "/* @@ end */\n/* @@ end */\n", 4, "`@@ 02` marks nothing"),
            ("src/a.c", "int x;\n/* @@ 01 */\na\n/* @@ end */\n", 2,
             "`@@ 01` marks nothing"),
            ("src/a.c", "/* @@ 02 */\nint x;\n/* @@ end */\n", 0,
             "empty in lab 01 after its markers"),
            ("tests/grade.ini", "[lab]\nnumber = 1\n\n[unit.a]\npoints = 1\n",
             4, "[unit.a] has no `lab = N`"),
            ("tests/grade.ini", "[lab]\nnumber = 1\n\n[unit.a]\nlab = 9\n",
             5, "[unit.a] lab = 9: not a lab of source/stages.ini"),
        ]
        for rel, text, line, message in cases:
            with self.subTest(message=message):
                where = "source/vmm/%s:%d:" % (rel, line) if line else \
                    "source/vmm/%s:" % rel
                self.assertRefused(rel, text, where, message)

    def test_every_problem_is_reported(self):
        self.written()
        self.write("source/vmm/src/a.c", "/* @@ 09 */\n/* @@ end */\n"
                   "/* @@ else */\n")
        self.write("source/vmm/Makefile", "all:\n# @@ 02\n")
        r = self.tool("check")
        self.assertIn("source/vmm/src/a.c:1: unknown stage 09", r.stderr)
        self.assertIn("source/vmm/src/a.c:3: `@@ else` outside", r.stderr)
        self.assertIn("source/vmm/Makefile:2: region never closed", r.stderr)
        self.assertIn("source/vmm/src/a.c: empty in lab 01, lab 02, lab 03, "
                      "final after its markers", r.stderr)
        self.assertIn("4 problems in source", r.stderr.splitlines()[-1])

    def test_per_stage_files(self):
        self.written()
        self.write("source/stages/02-b/src/a.c", "int a(void);\n")
        r = self.tool("check")
        self.assertIn("source/stages/02-b/src/a.c: source/vmm/src/a.c also "
                      "writes labs/02-b/src/a.c", r.stderr)
        os.unlink(self.path("source/stages/02-b/src/a.c"))
        self.write("source/stages/02-b/NOTES.md", "x\n<!-- @@ 03 -->\n")
        self.assertIn("source/stages/02-b/NOTES.md:2: a stage marker in a "
                      "file of one stage", self.tool("check").stderr)
        os.unlink(self.path("source/stages/02-b/NOTES.md"))
        self.write("source/stages/05-e/README.md", "x\n")
        self.assertIn("source/stages/05-e/README.md: source/stages/05-e is "
                      "not a stage of source/stages.ini",
                      self.tool("check").stderr)

    def test_bad_stages_ini(self):
        cases = [
            ("[stages]\n01 = labs/01-a\n03 = labs/02-b\n",
             "03 = labs/02-b: a lab's folder is labs/03-name"),
            ("[stages]\n02 = labs/02-b\n01 = labs/01-a\n",
             "01 = labs/01-a: stages go in increasing order"),
            ("[stages]\nfinal = final\n01 = labs/01-a\n",
             "final must be the last stage"),
            ("[stages]\nlast = final\n", "a stage is a two-digit lab number"),
            ("[labs]\n01 = labs/01-a\n", "expected one section, [stages]"),
        ]
        for text, message in cases:
            with self.subTest(message=message):
                self.write("source/stages.ini", text)
                r = self.tool("check")
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertIn("source/stages.ini: ", r.stderr)
                self.assertIn(message, r.stderr)


class TestDiff(StagesCase):
    def test_what_a_stage_adds(self):
        self.written()
        r = self.tool("diff", "2")
        self.assertEqual(r.returncode, 0, r.stderr)
        out = r.stdout
        self.assertTrue(out.startswith("lab 02 (labs/02-b) against labs/01-a\n"))
        self.assertIn("  added    bench/run.sh (+2 -0)", out)
        self.assertIn("  changed  src/a.c (+", out)
        self.assertIn("-\treturn 1;\n+\treturn 2;\n", out)
        self.assertIn("+++ b/labs/02-b/src/a.c", out)
        self.assertNotIn("data.bin", out)
        self.assertNotIn("src/new.c", out)

    def test_first_and_final(self):
        self.written()
        out = self.tool("diff", "01").stdout
        self.assertIn("the first stage, every file is new", out)
        self.assertIn("  added    src/a.c", out)
        out = self.tool("diff", "final").stdout
        self.assertIn("final (final) against labs/03-c", out)
        self.assertIn("+int fin(void);\n", out)
        self.assertIn("-\tx += 30;\n", out)

    def test_diff_shows_the_source_not_the_folders(self):
        # A drifted folder does not change what the stage adds.
        self.written()
        self.write("labs/02-b/src/a.c", "drift\n")
        self.assertIn("+\treturn 2;\n", self.tool("diff", "2").stdout)

    def test_no_such_stage(self):
        r = self.tool("diff", "7")
        self.assertEqual(r.returncode, 2)
        self.assertIn("no stage '7'", r.stderr)


if __name__ == "__main__":
    unittest.main()
