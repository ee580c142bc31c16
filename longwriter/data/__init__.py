"""Training-data construction (AgentWrite): resumable builds, filters, instructions, stats."""
