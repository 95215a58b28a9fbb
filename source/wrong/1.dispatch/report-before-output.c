/* Wrong 1.dispatch: the crash reports do not flush stdout first.
 *
 * On a terminal stdout is line-buffered and nothing seems wrong; in a
 * file or a pipe (the grader's) the report lands before the guest's
 * last output.
 *
 * Fails: unit.dispatch
 */
--- find
	case KVM_EXIT_SHUTDOWN:
		fflush(stdout);
+++ replace
	case KVM_EXIT_SHUTDOWN:
--- find
	case KVM_EXIT_FAIL_ENTRY:
		fflush(stdout);
+++ replace
	case KVM_EXIT_FAIL_ENTRY:
--- find
	case KVM_EXIT_INTERNAL_ERROR:
		fflush(stdout);
+++ replace
	case KVM_EXIT_INTERNAL_ERROR:
