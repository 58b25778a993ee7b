"""`dlenv check`: hold a machine's report against a policy kept in the team's repository.

`policy` loads and validates the policy, `evaluate` turns it into pass / fail / could-not-check
results (`model`), `text` prints them; the JUnit and GitHub reporters live in `dlenv.report`.
"""
