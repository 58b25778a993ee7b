"""Many node reports -> one view of a fleet: the facts that drift between nodes, the findings
shared across them, and (with a policy) whether every node passes and all agree."""
