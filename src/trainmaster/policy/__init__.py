"""Authorization of risky actions: who may act (roles, attributes) and whether they said why.

`model` and `data` are pure; `port` is the `Authorizer` protocol; `rego` evaluates the built-in
bundle (`authz.rego`) plus the policy's own modules with regopy; `enforce` refuses and audits.
"""
