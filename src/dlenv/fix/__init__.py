"""Fix actions, the planner that orders them, renderers per target, and safe apply/undo."""
