"""The assistant: one bot turn at a time, its settings, and the handoff to the agents."""
