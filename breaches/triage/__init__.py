"""Triage in the register: the engine's results meet incidents, clocks, reminders, drafts."""
