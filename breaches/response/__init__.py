"""Responding to an incident: notifications, actions with owners and reminders, restriction."""
