# The built-in authorization bundle. `deny` holds every reason to refuse the request in `input`
# ({actor, action, target, reason, stage, attributes}); no reason means allowed. `data.policy` is
# built from trainmaster.yaml (policy/data.py). A policy's own modules (authorization.modules) add
# more `deny` rules to this package: they can refuse more, never allow more.
package trainmaster.authz

import rego.v1

actor := lower(object.get(input, "actor", ""))

stage := object.get(data.policy.stages, object.get(input, "stage", ""), {})

# Messages never quote input strings: regopy 1.5 writes a `"` inside a result string unescaped,
# and the caller names the actor and the action anyway.

# --- RBAC: roles → actions ------------------------------------------------------------------

grants(role, action) if "*" in role.may

grants(role, action) if action in role.may

# Roles that may take the action: for an approval on a stage naming roles, exactly those
# (as train/rules.py counts approvers); otherwise every role whose `may` lists it (or "*").
stage_roles := object.get(stage, "approval_roles", [])

approval_names_roles if {
	input.action == "approve"
	count(stage_roles) > 0
}

deciding_roles contains name if {
	approval_names_roles
	some name in stage_roles
}

deciding_roles contains name if {
	not approval_names_roles
	some name, role in data.policy.roles
	grants(role, input.action)
}

staffed := {m | some name in deciding_roles; some m in data.policy.roles[name].members}

# Roles are in force once any role lists members; until then anyone may act (the seed lists none).
roles_in_force if {
	some _, role in data.policy.roles
	count(role.members) > 0
}

titles := concat(", ", sort([data.policy.roles[name].title | some name in deciding_roles]))

deny contains msg if {
	count(staffed) > 0
	not actor in staffed
	# concat, not sprintf: regopy's sprintf quotes a %s taken from another rule's string
	msg := concat("", ["not a member of a role that may ", input.action, " (", titles, ")"])
}

# Open actions (recording an artifact, deploying a train, verifying a stage) are steps anyone
# may take until a role claims them; they are still asked, so a policy module can refuse them.
deny contains msg if {
	roles_in_force
	count(deciding_roles) == 0
	not input.action in data.policy.open_actions
	msg := sprintf("no role may %s (add it to a role's `may`)", [input.action])
}

# --- Reason for access ------------------------------------------------------------------------

risky if input.action in data.policy.risky_actions

risky if {
	input.action in data.policy.production_actions
	input.stage in data.policy.production_stages
}

deny contains msg if {
	risky
	count(trim_space(object.get(input, "reason", ""))) < data.policy.reason_min_length
	msg := sprintf("%s is a risky action: say why with --reason (at least %d characters)", [input.action, data.policy.reason_min_length])
}

# --- ABAC: attributes of the target -------------------------------------------------------------

# The stage's own `approval.exclude_author`, the same rule the train's quorum counts with:
# refused at the door here, with the train's own words.
deny contains msg if {
	input.action == "approve"
	stage.exclude_author
	actor == lower(input.attributes.author)
	msg := "they cut this train, and its author may not approve it (approval.exclude_author)"
}
