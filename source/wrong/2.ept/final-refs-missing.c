/* Wrong 2.ept: the references of the last EPT walk not counted.
 *
 * The final GPA goes through the EPT too: four more references on a
 * 4-level EPT, which is how 4 x 5 + 4 makes 24.
 *
 * Fails: unit.walk2d guest.pagewalk
 */
--- find
	ret = ept_walk(ept, res->guest.gpa, access, &er);
	res->refs += er.refs;
+++ replace
	ret = ept_walk(ept, res->guest.gpa, access, &er);
