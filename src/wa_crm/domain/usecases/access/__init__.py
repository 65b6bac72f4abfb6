"""Who may act: associations and agents set up, log-in, API tokens, browser sessions."""
