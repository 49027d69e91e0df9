# Unit tests of the built-in bundle, run by `trainmaster authz test` with the policy's own data
# and modules. regopy 1.5 crashes on `with input as {…}` and does not reliably replace loaded data
# (`with data.policy… as`): replace single input fields (`with input.actor as "x"`) instead.
package trainmaster.authz_test

import rego.v1

import data.trainmaster.authz

test_a_risky_action_without_a_reason_is_refused if {
	denied := authz.deny with input.actor as "zoe"
		with input.action as "rollback"
		with input.target as "train/v1.0.0"
		with input.reason as "  "
	some msg in denied
	contains(msg, "say why with --reason")
}

test_a_long_enough_reason_is_enough if {
	reason := concat("", ["x" | some _ in numbers.range(1, data.policy.reason_min_length)])
	denied := authz.deny with input.actor as "zoe"
		with input.action as "rollback"
		with input.target as "train/v1.0.0"
		with input.reason as reason
	every msg in denied {
		not contains(msg, "say why with --reason")
	}
}

test_a_plain_action_needs_no_reason if {
	denied := authz.deny with input.actor as "zoe"
		with input.action as "train.cut"
		with input.target as "train"
		with input.reason as ""
	every msg in denied {
		not contains(msg, "say why with --reason")
	}
}

test_an_open_action_is_allowed_though_no_role_lists_it if {
	denied := authz.deny with input.actor as "zoe"
		with input.action as "train.verify"
		with input.target as "train/v1.0.0"
		with input.reason as ""
	count(denied) == 0
}
