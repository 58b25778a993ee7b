"""`dlenv setup`: the fix planner run forwards. plan (pure: a Snapshot and the knowledge base ->
a SetupPlan) -> render (commands per environment manager) -> create -> verify (live probes)."""
