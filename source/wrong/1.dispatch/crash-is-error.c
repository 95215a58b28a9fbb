/* Wrong 1.dispatch: a guest crash returned as an error of the VMM.
 *
 * The reports are right, but the VM is not stopped: the run loop ends
 * on a negative errno, and the VMM exits with 6 (the host failed)
 * instead of 4 (the guest crashed the VM).
 *
 * Fails: unit.dispatch guest.triple-fault
 */
--- find
		fprintf(stderr, "vmm: the guest shut down (KVM_EXIT_SHUTDOWN): a triple fault\n");
		vcpu_dump(vcpu, stderr);
		vm_stop(vm, VMM_EXIT_GUEST_CRASH);
		return 0;
+++ replace
		fprintf(stderr, "vmm: the guest shut down (KVM_EXIT_SHUTDOWN): a triple fault\n");
		vcpu_dump(vcpu, stderr);
		return -EIO;
--- find
		vcpu_report_internal(vcpu, stderr);
		vcpu_dump(vcpu, stderr);
		vm_stop(vm, VMM_EXIT_GUEST_CRASH);
		return 0;
+++ replace
		vcpu_report_internal(vcpu, stderr);
		vcpu_dump(vcpu, stderr);
		return -EIO;
