/*
 * msr: the VMM's own MSR 0x564D0000 (MSR_VMMLAB_SCRATCH, guests/README.md),
 * which KVM hands to user space: its initial value, a write read back, and a
 * write with the reserved bit 63 set, which must raise #GP(0) and leave the
 * stored value alone. A #GP handler records the fault and skips the 2-byte
 * WRMSR. The exit code is the number of the first failed check (0: all
 * passed).
 */
#include "check.h"
#include "console.h"
#include "platform.h"
#include "trap.h"

#define VECTOR_GP	13
#define WRMSR_OPCODE	0x300f		/* 0f 30, as a little-endian word */

/* A value with bit 62 set and bit 63 clear: only bit 63 is reserved. */
#define GOOD_VALUE	0x7edcba9876543210ULL
#define BAD_VALUE	0x8000000000000001ULL

static volatile unsigned int gp_count;
static volatile uint32_t gp_error;

void guest_main(void);

static uint64_t rdmsr(uint32_t index)
{
	uint32_t lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(index));
	return (uint64_t)hi << 32 | lo;
}

static void wrmsr(uint32_t index, uint64_t v)
{
	asm volatile("wrmsr"
		     : : "c"(index), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
		     : "memory");
}

/* Only a #GP raised by a WRMSR is expected; anything else stops the test. */
static void gp_handler(struct trap_frame *tf)
{
	if (*(const uint16_t *)tf->eip != WRMSR_OPCODE) {
		con_printf("unexpected #GP at eip 0x%08x, error code 0x%x\n",
			   tf->eip, tf->error);
		vm_exit(TRAP_EXIT_CODE);
	}
	gp_count++;
	gp_error = tf->error;
	tf->eip += 2;
}

void guest_main(void)
{
	trap_init();
	trap_set_handler(VECTOR_GP, gp_handler);
	con_printf("msr: MSR 0x%x\n", MSR_VMMLAB_SCRATCH);

	check(rdmsr(MSR_VMMLAB_SCRATCH), MSR_VMMLAB_INITIAL, 16,
	      "initial value (\"vmmlab\")");

	wrmsr(MSR_VMMLAB_SCRATCH, GOOD_VALUE);
	check(gp_count, 0, 1, "wrmsr 0x%016llx, #GP count", GOOD_VALUE);
	check(rdmsr(MSR_VMMLAB_SCRATCH), GOOD_VALUE, 16, "read back");

	wrmsr(MSR_VMMLAB_SCRATCH, BAD_VALUE);
	check(gp_count, 1, 1, "wrmsr 0x%016llx (bit 63), #GP count",
	      BAD_VALUE);
	check(gp_error, 0, 1, "#GP error code");
	check(rdmsr(MSR_VMMLAB_SCRATCH), GOOD_VALUE, 16,
	      "read back (value unchanged)");

	vm_exit(check_done("msr"));
}
