"""The incident workflow: one transition table, one service, its page action."""
