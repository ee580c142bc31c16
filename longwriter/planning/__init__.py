"""Plans as pure functions: parsing a model's or a user's plan, checking and mending it, budgets."""
