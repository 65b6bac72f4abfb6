"""What runs behind the requests: the job runner, the periodic jobs, and the message bus that
hands committed facts to their handlers."""
