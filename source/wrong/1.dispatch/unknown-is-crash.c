/* Wrong 1.dispatch: an exit it does not know ends the run as a crash.
 *
 * Status 4 for everything that is not handled: the very thing that let
 * an unwritten dispatch pass for the triple fault a test expects.
 *
 * Fails: unit.unhandled
 */
--- find
	return vcpu_unhandled_exit(vcpu);
}
+++ replace
	fflush(stdout);
	fprintf(stderr, "vmm: unhandled exit reason %u (%s)\n",
		run->exit_reason, exit_reason_name(run->exit_reason));
	vcpu_dump(vcpu, stderr);
	vm_stop(vm, VMM_EXIT_GUEST_CRASH);
	return 0;
}
