"""Two-way sync between Scoro and another system: links, plans, an outbox, and categories."""
