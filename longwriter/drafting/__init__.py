"""Drafts as pure functions: prompt layouts, clean-up, relevance, the critic's judgement."""
