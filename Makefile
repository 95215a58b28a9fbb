# vmmlab: build a virtual machine monitor on KVM, one lab at a time.
#
#   make run                 install what is missing, build, run the demo guests
#                            (in the QEMU lab machine when /dev/kvm is missing)
#   make check               grade every lab and run the project's own checks
#   make check-lab N         grade lab N (also: make check-lab N=1)
#   make check-san           every lab's tests again on its sanitizer build (make SAN=1)
#   make run-lab N GUEST=x   run guest x (a file in guests/out/) on lab N's VMM
#   make bench-lab N         lab N's benchmark
#   make handout             the student handout in dist/handout/ (handout-lab N: one lab)
#   make stages              write labs/NN-*/ and final/ from the one source, source/
#   make diff-lab N          what lab N adds to lab N-1 (as source/ generates them)
#   make differential        the guests that QEMU runs, on QEMU and on our VMM
#   make mutate-lab N        mutation testing of lab N's exercises (make mutate: every lab)
#   make fuzz-lab N          lab N's libFuzzer targets (make fuzz: every lab; FUZZ_TIME=s)
#   make book                the book: HTML, EPUB (checked by epubcheck) and PDF in book/out/
#   make labvm               build the QEMU lab machine (guest tests on a nested KVM)
#   make linux               build lab 04's Linux guest (Debian's kernel, busybox) in build/linux/
#   make deps                install every Debian package the project uses
#   make clean
#
# RUNNER=host|qemu|auto chooses where guest tests run (grading/README.md).
# JOBS=N: parallel build jobs (default: one per core). TIMES=1: make check
# ends with each lab's time and the fifteen slowest items, not five.

LABS	:= $(sort $(wildcard labs/[0-9][0-9]-*))
NEWEST	:= $(lastword $(wildcard final) $(LABS))
PYTHON	?= python3
# Builds use every core (make run, make check, the sanitizer builds).
JOBS	?= $(shell nproc 2>/dev/null || echo 1)
RUNNER	?= auto
export RUNNER

# "make check-lab 3": the word after the goal is the lab number.
LAB_GOALS := check-lab run-lab bench-lab handout-lab diff-lab mutate-lab fuzz-lab
ifneq ($(filter $(firstword $(MAKECMDGOALS)),$(LAB_GOALS)),)
  N ?= $(word 2,$(MAKECMDGOALS))
  ifneq ($(word 2,$(MAKECMDGOALS)),)
    $(eval $(word 2,$(MAKECMDGOALS)):;@:)
  endif
endif
LAB	= $(firstword $(wildcard labs/$(shell printf '%02d' '$(N)' 2>/dev/null)-*))
need-lab = $(if $(N),$(if $(LAB),,$(error no lab $(N) in labs/)),$(error say which lab: make $@ N))

all: guests labs

guests:
	$(MAKE) -C guests

labs:
	@for l in $(LABS) $(wildcard final); do $(MAKE) -C $$l || exit 1; done

deps:
	@scripts/deps.sh --all

deps-base:
	@scripts/deps.sh

# Guests run on /dev/kvm, or without one in the QEMU lab machine, which
# grading/vmrun.py builds first if need be (RUNNER=host|qemu chooses).
DEMO	:= hello16.bin hello32.elf hello64.elf

# deps.sh --best-effort exits 3 when it could not install what is missing
# (not Debian, no root or sudo): it has listed the packages, and make goes
# on with what the machine has.
run:
	@scripts/deps.sh --best-effort || [ $$? = 3 ]
	@$(MAKE) --no-print-directory -j$(JOBS) all
	@$(PYTHON) grading/vmrun.py --heading $(foreach g,$(DEMO),"$(NEWEST)/build/vmm guests/out/$(g)")

# Without all the packages, build what builds (make -k) and grade that:
# what did not build fails its tests, saying so.
# VMMLAB_CHECK_START: the grader's closing time summary counts the build.
check:
	@export VMMLAB_CHECK_START=$$(date +%s.%N); \
	st=0; scripts/deps.sh --all --best-effort || st=$$?; \
	case $$st in \
	0) $(MAKE) --no-print-directory -j$(JOBS) all || exit 1 ;; \
	3) $(MAKE) --no-print-directory -j$(JOBS) -k all || \
		echo "check: not everything built (packages missing, above); grading what did" ;; \
	*) exit $$st ;; \
	esac; \
	$(PYTHON) grading/grade.py --all

# Every test once more, on the VMM and unit tests built with
# AddressSanitizer and UBSan (make SAN=1, into build/san/): each lab's own
# tests on its own VMM, and the last one's whole list, the earlier labs'
# tests included; a report fails its test (grading/README.md, "Sanitizer
# builds").
check-san:
	@$(MAKE) --no-print-directory guests
	@for l in $(LABS) $(wildcard final); do \
		$(MAKE) --no-print-directory -j$(JOBS) -C $$l SAN=1 >/dev/null || exit 1; done
	@$(PYTHON) grading/grade.py --all --no-checks --own-but-newest \
		--build build/san --timeout-scale 3 --json build/san/results.json

check-lab:
	$(need-lab)
	@$(MAKE) --no-print-directory guests
	@$(MAKE) --no-print-directory -C $(LAB)
	@$(PYTHON) grading/grade.py --lab $(N)

run-lab:
	$(need-lab)
	$(if $(GUEST),,$(error say which guest: make run-lab $(N) GUEST=hello16.bin))
	@$(MAKE) --no-print-directory guests
	@$(MAKE) --no-print-directory -C $(LAB)
	@$(PYTHON) grading/vmrun.py "$(LAB)/build/vmm $(ARGS) guests/out/$(GUEST)"

bench-lab:
	$(need-lab)
	@$(MAKE) --no-print-directory guests
	@$(MAKE) --no-print-directory -C $(LAB) bench

# The reference repository's tools; a student handout does not carry them.
ref-only = $(if $(wildcard grading/handout.py),,$(error this is a student handout: $@ needs the reference repository))

handout:
	$(ref-only)
	@$(PYTHON) grading/handout.py

handout-lab:
	$(ref-only)
	$(need-lab)
	@$(PYTHON) grading/handout.py --lab $(N)

# The stages are generated from source/ (grading/README.md, "The stages and
# their one source"); make check fails when a committed one differs.
stages:
	$(ref-only)
	@$(PYTHON) grading/stages.py write

diff-lab:
	$(ref-only)
	$(if $(N),,$(error say which stage: make diff-lab N (or final)))
	@$(PYTHON) grading/stages.py diff $(N)

# The libFuzzer targets of each lab's tests/fuzz/ (grading/README.md,
# "Fuzzing"): each runs FUZZ_TIME seconds of its own CPU time or FUZZ_RUNS
# executions, whichever comes first, after its seeds and corpus; then the
# line coverage of the files it covers. FUZZ_ARGS="--target exit" narrows it.
FUZZ_TIME ?= 1800
FUZZ_RUNS ?= 10000000

fuzz:
	@$(MAKE) --no-print-directory guests
	@$(PYTHON) grading/fuzz.py --all --cpu $(FUZZ_TIME) --runs $(FUZZ_RUNS) \
		--coverage $(FUZZ_ARGS)

fuzz-lab:
	$(need-lab)
	@$(MAKE) --no-print-directory guests
	@$(PYTHON) grading/fuzz.py --lab $(N) --cpu $(FUZZ_TIME) --runs $(FUZZ_RUNS) \
		--coverage $(FUZZ_ARGS)

# Mutation testing of the exercise regions (grading/README.md, "Mutation
# testing"); MUTATE_ARGS="--sample 20 --exercise walker" narrows it.
mutate:
	$(ref-only)
	@$(MAKE) --no-print-directory guests
	@$(PYTHON) grading/mutate.py --all $(MUTATE_ARGS)

mutate-lab:
	$(ref-only)
	$(need-lab)
	@$(MAKE) --no-print-directory guests
	@$(PYTHON) grading/mutate.py --lab $(N) $(MUTATE_ARGS)

book:
	$(ref-only)
	@$(MAKE) --no-print-directory -C book

# The QEMU lab machine (grading/README.md, "The lab machine"), in build/labvm/.
labvm:
	@$(PYTHON) grading/labvm/build

# Lab 04's Linux guest (guests/README.md, "The Linux guest"), in build/linux/.
linux:
	@$(PYTHON) guests/linux/build

differential:
	@$(MAKE) --no-print-directory all
	@$(PYTHON) grading/differential.py

clean:
	$(MAKE) -C guests clean
	@for l in $(LABS) $(wildcard final); do $(MAKE) -C $$l clean; done
	@if [ -d book ]; then $(MAKE) -C book clean; fi
	rm -rf grading/out dist

.PHONY: all guests labs deps deps-base run check check-lab check-san run-lab bench-lab clean \
	handout handout-lab stages diff-lab differential labvm linux book \
	mutate mutate-lab fuzz fuzz-lab
