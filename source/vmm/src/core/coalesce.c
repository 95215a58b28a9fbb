/* @@ file 04 */
/*
 * coalesce.c - guest writes that need no exit of their own (book §4.2,
 * the cost of configuration mechanism #1; KVM's API document,
 * KVM_REGISTER_COALESCED_MMIO and KVM_CAP_COALESCED_PIO).
 *
 * A write to CONFIG_ADDRESS (port 0xCF8) changes nothing the guest can
 * see until it next touches 0xCF8-0xCFF, and each of those accesses is
 * an exit of its own. So KVM may put such writes in a ring it shares
 * with the VMM, one page of every vCPU's kvm_run mapping, and go on
 * running the guest. The VMM replays the ring, oldest first, through
 * the port bus before it handles any exit: the access to CONFIG_DATA
 * that follows finds the address the guest wrote. A configuration
 * access then costs one exit instead of two, as on QEMU's pc machine,
 * which queues its 0xCF8 the same way. When the ring is full, KVM exits
 * on the write as usual, after the ones queued before it.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

#include "core/bus.h"
#include "core/coalesce.h"
#include "core/err.h"
#include "core/vcpu.h"
#include "core/vm.h"

/* The ring is one for the VM: one vCPU at a time replays it. */
static pthread_mutex_t coalesce_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * Ask KVM to queue the guest's writes to ports [port, port + size).
 * 0 when it does, and also when this KVM cannot (every write then exits
 * as before); -errno when KVM refuses the zone.
 */
int coalesce_pio(struct vm *vm, uint16_t port, unsigned int size)
{
	struct kvm_coalesced_mmio_zone zone = {
		.addr = port, .size = size, .pio = 1,
	};
	int page;

	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_PIO) <= 0)
		return 0;
	/* The answer is where the ring is: its page in kvm_run's mapping. */
	page = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_MMIO);
	if (page <= 0)
		return 0;
	if (ioctl(vm->vm_fd, KVM_REGISTER_COALESCED_MMIO, &zone) < 0)
		return err_set(-errno,
			       "KVM_REGISTER_COALESCED_MMIO (ports 0x%x-0x%x): %s",
			       port, port + size - 1, strerror(errno));
	vm->coalesced_page = (unsigned int)page;
	return 0;
}

/* One queued write, through the bus it was meant for. */
static void coalesce_replay(struct vcpu *vcpu,
			    const struct kvm_coalesced_mmio *e)
{
	struct vm *vm = vcpu->vm;
	uint64_t v = 0;

	if (e->len == 0 || e->len > sizeof(e->data))
		return;		/* KVM queues 1 to 8 bytes; nothing else */
	memcpy(&v, e->data, e->len);
	bus_write(e->pio ? &vm->pio : &vm->mmio, vcpu, e->phys_addr, e->len, v);
	atomic_fetch_add(&vm->nr_coalesced, 1);
}

/*
 * Replay every write KVM has queued, oldest first, and give the slots
 * back. Called after every KVM_RUN, before the exit is handled.
 */
void coalesce_drain(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	struct kvm_coalesced_mmio_ring *ring;
	uint32_t first, max;

	if (!vm->coalesced_page ||
	    ((size_t)vm->coalesced_page + 1) * page > vcpu->run_size)
		return;
	ring = (void *)((uint8_t *)vcpu->run + vm->coalesced_page * page);
	max = (uint32_t)((page - sizeof(*ring)) / sizeof(ring->coalesced_mmio[0]));

	pthread_mutex_lock(&coalesce_lock);
	first = ring->first;
	/* KVM fills an entry before it moves `last` past it. */
	while (first < max && first != __atomic_load_n(&ring->last, __ATOMIC_ACQUIRE)) {
		coalesce_replay(vcpu, &ring->coalesced_mmio[first]);
		first = (first + 1) % max;
		__atomic_store_n(&ring->first, first, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&coalesce_lock);
}
